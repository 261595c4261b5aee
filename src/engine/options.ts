/**
 * What the engine is created with: podman's persistent root flags (`--root`,
 * `--runtime`, ...), which every command accepts wherever they appear.
 */
export interface EngineOptions {
  root?: string;
  runroot?: string;
  storageDriver?: string;
  storageOpt?: string[];
  logLevel?: string;
  runtime?: string;
  cgroupManager?: string;
  url?: string;
  connection?: string;
  eventsBackend?: string;
  tmpdir?: string;
  networkConfigDir?: string;
  conmon?: string;
  runtimeFlag?: string[];
  hooksDir?: string[];
  noout?: boolean;
  remote?: boolean;
  /** The ssh key for ssh:// remote services (--identity). */
  identity?: string;
}
