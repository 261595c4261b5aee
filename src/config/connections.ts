/**
 * Remote service destinations (`system connection`), stored where Podman 4.3
 * stores them: `[engine.service_destinations.NAME]` tables (uri, identity)
 * and `[engine] active_service` in the containers.conf that Podman writes —
 * $CONTAINERS_CONF when set, else ~/.config/containers/containers.conf for a
 * rootless user and /etc/containers/containers.conf for root. Reading merges
 * every containers.conf in Podman's order, later files winning.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify, type TomlTable } from 'smol-toml';
import { configEnvironment, containersConfFiles, isRootless, readTomlFile, userConfigHome, userRuntimeDir, type ConfigEnvironment } from './paths.js';
import { BadInputError } from '../util/errors.js';

export interface Destination {
  uri: string;
  identity?: string;
}

export interface Connections {
  destinations: Record<string, Destination>;
  /** The default connection's name ('' when none). */
  active: string;
}

/** The file `system connection add` writes (Podman's customConfigFile). */
export function connectionsFile(ce: ConfigEnvironment = configEnvironment()): string {
  if (ce.env.CONTAINERS_CONF !== undefined) return ce.env.CONTAINERS_CONF;
  if (isRootless(ce)) return join(userConfigHome(ce), 'containers', 'containers.conf');
  return join(ce.systemDir, 'containers.conf');
}

function table(value: unknown): TomlTable | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as TomlTable) : undefined;
}

export function readConnections(ce: ConfigEnvironment = configEnvironment()): Connections {
  const files = containersConfFiles(ce);
  const custom = connectionsFile(ce);
  if (!files.includes(custom) && existsSync(custom)) files.push(custom);
  const out: Connections = { destinations: {}, active: '' };
  for (const file of files) {
    const engine = table(readTomlFile(file, 'containers.conf').engine);
    if (!engine) continue;
    if (typeof engine.active_service === 'string') out.active = engine.active_service;
    for (const [name, value] of Object.entries(table(engine.service_destinations) ?? {})) {
      const d = table(value);
      if (!d || typeof d.uri !== 'string') continue;
      out.destinations[name] = { uri: d.uri, ...(typeof d.identity === 'string' && d.identity !== '' ? { identity: d.identity } : {}) };
    }
  }
  return out;
}

/**
 * Changes the connections in the custom containers.conf, keeping everything
 * else the file holds (Podman rewrites the whole file too; comments go).
 */
export function updateConnections(mutate: (c: Connections) => void, ce: ConfigEnvironment = configEnvironment()): void {
  const path = connectionsFile(ce);
  let doc: TomlTable = {};
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    try {
      doc = text.trim() ? parse(text) : {};
    } catch (e) {
      throw new BadInputError(`invalid containers.conf ${path}: ${(e as Error).message}`);
    }
  }
  const engine = (table(doc.engine) ?? {}) as TomlTable;
  const current: Connections = { destinations: {}, active: typeof engine.active_service === 'string' ? engine.active_service : '' };
  for (const [name, value] of Object.entries(table(engine.service_destinations) ?? {})) {
    const d = table(value);
    if (d && typeof d.uri === 'string') current.destinations[name] = { uri: d.uri, ...(typeof d.identity === 'string' && d.identity ? { identity: d.identity } : {}) };
  }
  mutate(current);
  const destinations: TomlTable = {};
  for (const [name, d] of Object.entries(current.destinations)) destinations[name] = { uri: d.uri, ...(d.identity ? { identity: d.identity } : {}) };
  if (current.active) engine.active_service = current.active;
  else delete engine.active_service;
  if (Object.keys(destinations).length) engine.service_destinations = destinations;
  else delete engine.service_destinations;
  if (Object.keys(engine).length) doc.engine = engine;
  else delete doc.engine;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${stringify(doc)}\n`);
}

/** The default socket a local service listens on (Podman's DefaultAPIAddress). */
export function defaultServiceUrl(ce: ConfigEnvironment = configEnvironment()): string {
  return isRootless(ce) ? `unix://${userRuntimeDir(ce)}/podman/podman.sock` : 'unix:///run/podman/podman.sock';
}
