/**
 * Volumes in the Docker Engine API's shapes: `GET /volumes` entries and
 * `/volumes/{name}`, the create body as engine options, and the prune filters
 * as Docker reads them. Pure functions; the routes do the calls.
 */
import type { VolumeCreateOptions, VolumeInspectReport } from '../../engine/types.js';
import { stringField, stringMapField } from './fields.js';

/** Docker's Volume: Podman's report without its own fields; CreatedAt is RFC 3339 to the second. */
export type DockerVolume = Pick<VolumeInspectReport, 'Name' | 'Driver' | 'Mountpoint' | 'CreatedAt' | 'Labels' | 'Scope' | 'Options'>;

export function dockerVolume(volume: VolumeInspectReport): DockerVolume {
  return {
    Name: volume.Name,
    Driver: volume.Driver,
    Mountpoint: volume.Mountpoint,
    CreatedAt: volume.CreatedAt.replace(/\.\d+(?=Z|[+-]\d\d:\d\d$)/, ''),
    Labels: volume.Labels ?? {},
    Scope: volume.Scope || 'local',
    Options: volume.Options ?? {},
  };
}

/**
 * `POST /volumes/create`. A named volume that exists is answered as it is
 * (Docker's create is idempotent); a nameless one is anonymous, as Docker marks it.
 */
export function volumeCreateOptions(body: Record<string, unknown>): VolumeCreateOptions {
  const name = stringField(body, 'Name');
  const options: VolumeCreateOptions = name ? { name, ignore: true } : { anonymous: true };
  const driver = stringField(body, 'Driver');
  if (driver) options.driver = driver;
  const driverOpts = stringMapField(body, 'DriverOpts');
  if (driverOpts && Object.keys(driverOpts).length > 0) options.options = driverOpts;
  const labels = stringMapField(body, 'Labels');
  if (labels && Object.keys(labels).length > 0) options.labels = labels;
  return options;
}

/**
 * `POST /volumes/prune` filters. From API 1.42 Docker prunes only anonymous
 * volumes unless `all=true`; older clients (and `all=true`) prune every unused one.
 */
export function volumePruneFilters(filters: string[], apiVersion: string | undefined): string[] {
  const all = filters.filter((f) => f.startsWith('all='));
  const rest = filters.filter((f) => !f.startsWith('all='));
  const everything = all.some((f) => ['true', '1'].includes(f.slice(4).toLowerCase())) || (apiVersion !== undefined && versionBefore(apiVersion, '1.42'));
  return everything ? rest : [...rest, 'anonymous=true'];
}

/** Whether dotted version a is older than b (1.41 < 1.42 < 1.100). */
export function versionBefore(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}
