import { join } from 'node:path';
import type { TomlTable } from 'smol-toml';
import { BadInputError } from '../util/errors.js';
import {
  ConfigValueError,
  configEnvironment,
  isRootless,
  readTomlFile,
  storageConfFile,
  stringAt,
  stringsAt,
  tableAt,
  booleanAt,
  userDataHome,
  userRuntimeDir,
  type ConfigEnvironment,
  type StorageConfScope,
} from './paths.js';

export interface OverlayOptions {
  mountProgram?: string;
  mountopt?: string;
}

export interface StorageOptions {
  additionalImageStores: string[];
  /** [storage.options.pull_options]: string values, including the "true"/"false" ones. */
  pullOptions: Record<string, string>;
  overlay: OverlayOptions;
}

export interface StorageConf {
  driver: string;
  graphroot: string;
  runroot: string;
  rootlessStoragePath?: string;
  imagestore?: string;
  transientStore: boolean;
  options: StorageOptions;
  /** Driver options in `driver.key=value` form, as `podman info` lists them. */
  driverOptions: string[];
  /** The storage.conf read, if any. */
  source?: string;
}

/** Drivers a rootless user may inherit from the system storage.conf. */
const ROOTLESS_DRIVERS = new Set(['overlay', 'vfs', 'btrfs']);

function defaultStorageConf(ce: ConfigEnvironment): StorageConf {
  const rootless = isRootless(ce);
  return {
    driver: 'overlay',
    graphroot: rootless ? join(userDataHome(ce), 'containers', 'storage') : '/var/lib/containers/storage',
    runroot: rootless ? join(userRuntimeDir(ce), 'containers') : '/run/containers/storage',
    transientStore: false,
    options: { additionalImageStores: [], pullOptions: {}, overlay: {} },
    driverOptions: [],
  };
}

/**
 * Loads the storage.conf in effect over the built-in defaults. A rootless
 * user reading the system file keeps its driver and options but not its
 * (root-owned) graphroot and runroot.
 */
export function loadStorageConf(ce: ConfigEnvironment = configEnvironment()): StorageConf {
  const conf = defaultStorageConf(ce);
  const file = storageConfFile(ce);
  if (!file) return conf;
  const table = readTomlFile(file.path, 'storage.conf');
  try {
    applyStorageTable(conf, table, ce, file.scope);
  } catch (e) {
    if (e instanceof ConfigValueError) throw new BadInputError(`invalid storage.conf ${file.path}: ${e.message}`);
    throw e;
  }
  conf.source = file.path;
  return conf;
}

function applyStorageTable(conf: StorageConf, table: TomlTable, ce: ConfigEnvironment, scope: StorageConfScope): void {
  const storage = tableAt(table, 'storage');
  if (!storage) return;
  const expand = (s: string): string => expandEnv(s, ce);
  const driver = stringAt(storage, 'driver');
  const rootlessStoragePath = stringAt(storage, 'rootless_storage_path');
  if (rootlessStoragePath) conf.rootlessStoragePath = expand(rootlessStoragePath);
  if (isRootless(ce) && scope === 'system') {
    if (driver) conf.driver = ROOTLESS_DRIVERS.has(driver) ? driver : 'overlay';
    if (conf.rootlessStoragePath) conf.graphroot = conf.rootlessStoragePath;
  } else {
    if (driver) conf.driver = driver;
    const graphroot = stringAt(storage, 'graphroot');
    if (graphroot) conf.graphroot = expand(graphroot);
    const runroot = stringAt(storage, 'runroot');
    if (runroot) conf.runroot = expand(runroot);
  }
  const imagestore = stringAt(storage, 'imagestore');
  if (imagestore) conf.imagestore = expand(imagestore);
  conf.transientStore = booleanAt(storage, 'transient_store') ?? false;
  const options = tableAt(storage, 'options');
  if (options) applyOptionsTable(conf, options);
}

function applyOptionsTable(conf: StorageConf, options: TomlTable): void {
  conf.options.additionalImageStores = stringsAt(options, 'additionalimagestores') ?? [];
  const pull = tableAt(options, 'pull_options');
  if (pull) {
    for (const key of Object.keys(pull)) conf.options.pullOptions[key] = stringAt(pull, key)!;
  }
  // Older files put the overlay keys directly under [storage.options].
  const overlay = tableAt(options, 'overlay');
  const mountProgram = (overlay && stringAt(overlay, 'mount_program')) || stringAt(options, 'mount_program');
  const mountopt = (overlay && stringAt(overlay, 'mountopt')) || stringAt(options, 'mountopt');
  conf.options.overlay = {
    ...(mountProgram ? { mountProgram } : {}),
    ...(mountopt ? { mountopt } : {}),
  };
  conf.driverOptions = overlayDriverOptions(conf.options.overlay);
}

function overlayDriverOptions(overlay: OverlayOptions): string[] {
  const opts: string[] = [];
  if (overlay.mountProgram) opts.push(`overlay.mount_program=${overlay.mountProgram}`);
  if (overlay.mountopt) opts.push(`overlay.mountopt=${overlay.mountopt}`);
  return opts;
}

/** `$VAR` and `${VAR}` from the environment; $UID is always known. */
function expandEnv(s: string, ce: ConfigEnvironment): string {
  return s.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (name === 'UID') return ce.env.UID ?? String(ce.uid);
    if (name === 'HOME') return ce.env.HOME ?? ce.homeDir;
    return ce.env[name] ?? '';
  });
}

export interface StorageOverrides {
  root?: string;
  runroot?: string;
  driver?: string;
  /** --storage-opt values; when given they replace the configured driver options. */
  opts?: string[];
}

/** Applies --root, --runroot, --storage-driver and --storage-opt to a loaded configuration. */
export function applyStorageOverrides(conf: StorageConf, overrides: StorageOverrides): StorageConf {
  const result: StorageConf = { ...conf, options: { ...conf.options, overlay: { ...conf.options.overlay } } };
  if (overrides.root) result.graphroot = overrides.root;
  if (overrides.runroot) result.runroot = overrides.runroot;
  if (overrides.driver) result.driver = overrides.driver;
  if (overrides.opts) {
    result.driverOptions = overrides.opts.filter((o) => o !== '');
    result.options.overlay = overlayFromDriverOptions(result.driverOptions);
  }
  return result;
}

function overlayFromDriverOptions(opts: string[]): OverlayOptions {
  const overlay: OverlayOptions = {};
  for (const opt of opts) {
    const eq = opt.indexOf('=');
    if (eq < 0) throw new BadInputError(`invalid storage option "${opt}": expected [driver.]key=value`);
    const key = opt.slice(0, eq).toLowerCase().replace(/^overlay2?\./, '');
    const value = opt.slice(eq + 1);
    if (key === 'mount_program') overlay.mountProgram = value;
    else if (key === 'mountopt') overlay.mountopt = value;
  }
  return overlay;
}
