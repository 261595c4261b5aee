/**
 * Merging Compose files (the specification's merge rules), on models already
 * in canonical form: mappings merge key by key, commands are replaced,
 * ports/volumes/secrets/configs merge by their unique key, other lists append
 * without repeats. `!reset` in the override removes a value, `!override`
 * replaces instead of merging.
 */
import type { ComposeModel, ServiceConfig } from './model.js';
import { isObject } from './model.js';
import { OverrideTag, ResetTag } from './tags.js';

/** Keys whose values an override replaces as a whole. */
const REPLACED = new Set(['command', 'entrypoint', 'test', 'build.args']);

function uniqueKey(key: string, item: unknown): string | undefined {
  if (!isObject(item)) return undefined;
  switch (key) {
    case 'ports':
      return `${item.host_ip ?? ''}:${item.published ?? ''}:${item.target}/${item.protocol}`;
    case 'volumes':
      return String(item.target);
    case 'secrets':
    case 'configs':
      return String(item.target ?? item.source);
    default:
      return undefined;
  }
}

function mergeLists(key: string, base: unknown[], over: unknown[]): unknown[] {
  if (['ports', 'volumes', 'secrets', 'configs'].includes(key)) {
    const out = new Map<string, unknown>();
    let anonymous = 0;
    for (const item of [...base, ...over]) out.set(uniqueKey(key, item) ?? `#${anonymous++}`, item);
    return [...out.values()];
  }
  const out = [...base];
  for (const item of over) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(item))) out.push(item);
  return out;
}

export function mergeValues(base: unknown, over: unknown, path: string): unknown {
  if (over === undefined) return base;
  if (isReset(over)) return undefined;
  if (isOverride(over)) return over.value;
  const last = path.split('.').pop() ?? path;
  if (REPLACED.has(last) || REPLACED.has(path)) return over;
  if (Array.isArray(base) && Array.isArray(over)) return mergeLists(last, base, over);
  if (isObject(base) && isObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const merged = mergeValues(base[k], v, `${path}.${k}`);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  return over;
}

export function mergeService(base: ServiceConfig, over: ServiceConfig): ServiceConfig {
  const merged = mergeValues(base, over, '') as ServiceConfig;
  // An override's image without build (or build without image) keeps the other: both stay, as Compose does.
  return merged;
}

export function mergeModels(base: ComposeModel, over: ComposeModel): ComposeModel {
  const out: ComposeModel = {
    name: over.name ?? base.name,
    services: { ...base.services },
    networks: mergeValues(base.networks, over.networks, 'networks') as ComposeModel['networks'],
    volumes: mergeValues(base.volumes, over.volumes, 'volumes') as ComposeModel['volumes'],
    secrets: mergeValues(base.secrets, over.secrets, 'secrets') as ComposeModel['secrets'],
    configs: mergeValues(base.configs, over.configs, 'configs') as ComposeModel['configs'],
  };
  for (const [name, svc] of Object.entries(over.services)) {
    out.services[name] = out.services[name] ? mergeService(out.services[name]!, svc) : svc;
  }
  return out;
}

function isReset(v: unknown): v is ResetTag {
  return v instanceof ResetTag;
}
function isOverride(v: unknown): v is OverrideTag {
  return v instanceof OverrideTag;
}
