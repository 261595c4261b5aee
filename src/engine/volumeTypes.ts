/**
 * The volumes and secrets groups of the engine interface (re-exported by
 * types.ts): plain data in and out, in the shapes Podman 4.3 prints.
 */
import type { Readable, Writable } from 'node:stream';

// ----------------------------------------------------------------- volumes

export interface VolumeCreateOptions {
  /** Generated (64 hex) when absent: an anonymous-style name. */
  name?: string;
  /** Only `local` (the default). */
  driver?: string;
  labels?: Record<string, string>;
  /** -o: type=, device=, o= (mount(8) options; uid=/gid= set the owner), nocopy. */
  options?: Record<string, string>;
  /** --ignore: an existing volume of that name is no error. */
  ignore?: boolean;
  /** Marks the volume anonymous (the API's nameless create), which `prune --filter anonymous=true` selects. */
  anonymous?: boolean;
}

/** `volume inspect` / `volume ls --format json`, as Podman 4.3. */
export interface VolumeInspectReport {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: string;
  Options: Record<string, string>;
  /** Only present for anonymous volumes, as Podman omits it otherwise. */
  Anonymous?: boolean;
  MountCount: number;
  /** Absent when false, as Podman omits it. */
  NeedsCopyUp?: boolean;
  NeedsChown?: boolean;
}

export interface VolumeRemoveReport {
  name: string;
  error?: Error;
}

/** What `system df` needs per volume. */
export interface VolumeUsage {
  name: string;
  /** Bytes under the volume's _data (apparent sizes of regular files). */
  size: number;
  /** Containers (any state) whose config uses the volume. */
  containers: number;
}

export interface VolumesEngine {
  create(opts: VolumeCreateOptions): Promise<VolumeInspectReport>;
  list(opts?: { filters?: string[] }): Promise<VolumeInspectReport[]>;
  inspect(names: string[]): Promise<Array<VolumeInspectReport | Error>>;
  exists(name: string): Promise<boolean>;
  /** -f removes (stopping within timeout seconds) the containers using a volume first; all: every volume. */
  remove(names: string[], opts?: { force?: boolean; all?: boolean; timeout?: number }): Promise<VolumeRemoveReport[]>;
  /** Removes volumes no container uses; returns their names and the bytes freed. */
  prune(opts?: { filters?: string[] }): Promise<Array<{ name: string; size: number }>>;
  /** Size and users per volume (all volumes when names is empty). */
  usage(names?: string[]): Promise<VolumeUsage[]>;
  /** Writes the volume's contents as a tar stream. */
  export(name: string, out: Writable): Promise<void>;
  /** Extracts a tar stream into the volume (over what it holds). */
  import(name: string, input: Readable): Promise<void>;
}

// ----------------------------------------------------------------- secrets

export interface SecretCreateOptions {
  /** Only `file`. */
  driver?: string;
  driverOptions?: Record<string, string>;
  labels?: Record<string, string>;
  /** --replace: an existing secret of the name takes the new data (its id changes, as in Podman 4.4+). */
  replace?: boolean;
}

/** `secret inspect`, as Podman 4.3 (SecretData only with --showsecret). */
export interface SecretInfoReport {
  ID: string;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: {
    Name: string;
    Driver: { Name: string; Options: Record<string, string> };
    Labels: Record<string, string>;
  };
  SecretData?: string;
}

export interface SecretRemoveReport {
  name: string;
  id?: string;
  error?: Error;
}

export interface SecretsEngine {
  /** Resolves with the new secret's id. */
  create(name: string, data: Buffer, opts?: SecretCreateOptions): Promise<string>;
  list(opts?: { filters?: string[] }): Promise<SecretInfoReport[]>;
  inspect(names: string[], opts?: { showSecret?: boolean }): Promise<Array<SecretInfoReport | Error>>;
  exists(name: string): Promise<boolean>;
  remove(names: string[], opts?: { all?: boolean; ignore?: boolean }): Promise<SecretRemoveReport[]>;
}
