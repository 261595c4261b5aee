import type { EngineOptions } from './options.js';
import { Store, type StorageDriver } from '../storage/store.js';
import { loadStorageConf, applyStorageOverrides } from '../config/storageConf.js';
import { loadRegistriesConf, type RegistriesConf } from '../config/registriesConf.js';
import { loadContainersConf, resolveNetworkConfigDir, type ContainersConf } from '../config/containersConf.js';
import { InvalidArgumentError } from '../util/errors.js';

/** What every local engine call stands on: the resolved configuration and the store. */
export class Runtime {
  private storeInstance: Store | undefined;
  private registries: RegistriesConf | undefined;
  private containers: ContainersConf | undefined;

  constructor(readonly globals: EngineOptions) {}

  get store(): Store {
    if (!this.storeInstance) {
      const conf = applyStorageOverrides(loadStorageConf(), {
        root: this.globals.root,
        runroot: this.globals.runroot,
        driver: this.globals.storageDriver,
        opts: this.globals.storageOpt,
      });
      const driver = conf.driver || 'overlay';
      if (driver !== 'overlay' && driver !== 'vfs') {
        throw new InvalidArgumentError(`unsupported storage driver "${driver}": use overlay or vfs`);
      }
      this.storeInstance = new Store({
        graphRoot: conf.graphroot,
        runRoot: conf.runroot,
        driver: driver as StorageDriver,
        ...(conf.options.overlay.mountProgram ? { mountProgram: conf.options.overlay.mountProgram } : {}),
      });
    }
    return this.storeInstance;
  }

  get registriesConf(): RegistriesConf {
    this.registries ??= loadRegistriesConf();
    return this.registries;
  }

  get containersConf(): ContainersConf {
    this.containers ??= loadContainersConf();
    return this.containers;
  }

  /** Where network config files live: --network-config-dir, else containers.conf, else `<graphroot>/networks`. */
  get networkConfigDir(): string {
    return this.globals.networkConfigDir ?? resolveNetworkConfigDir(this.containersConf, this.store.options.graphRoot);
  }

  /** The OCI runtime's name: --runtime, else containers.conf. */
  get ociRuntime(): string {
    return this.globals.runtime ?? this.containersConf.engine.runtime;
  }

  get cgroupManager(): string {
    return this.globals.cgroupManager ?? this.containersConf.engine.cgroupManager;
  }

  close(): void {
    this.storeInstance?.close();
  }
}
