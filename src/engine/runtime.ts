import type { GlobalOptions } from '../cli/globals.js';
import { Store, type StorageDriver } from '../storage/store.js';
import { loadStorageConf, applyStorageOverrides } from '../config/storageConf.js';
import { loadRegistriesConf, type RegistriesConf } from '../config/registriesConf.js';
import { InvalidArgumentError } from '../util/errors.js';

/** What every local engine call stands on: the resolved configuration and the store. */
export class Runtime {
  private storeInstance: Store | undefined;
  private registries: RegistriesConf | undefined;

  constructor(readonly globals: GlobalOptions) {}

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
      this.storeInstance = new Store({ graphRoot: conf.graphroot, runRoot: conf.runroot, driver: driver as StorageDriver });
    }
    return this.storeInstance;
  }

  get registriesConf(): RegistriesConf {
    this.registries ??= loadRegistriesConf();
    return this.registries;
  }

  close(): void {
    this.storeInstance?.close();
  }
}
