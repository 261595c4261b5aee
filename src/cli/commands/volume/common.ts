import type { VolumeInspectReport } from '../../../engine/types.js';
import { goTimeString } from '../../../util/time.js';

/** A volume as `--format` templates see it: times print as Go's time.Time does. */
export class VolumeRow {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: string;
  Options: Record<string, string>;
  MountCount: number;
  NeedsCopyUp: boolean;
  NeedsChown: boolean;
  Anonymous: boolean;

  constructor(v: VolumeInspectReport) {
    this.Name = v.Name;
    this.Driver = v.Driver;
    this.Mountpoint = v.Mountpoint;
    this.CreatedAt = goTimeString(v.CreatedAt);
    this.Labels = v.Labels;
    this.Scope = v.Scope;
    this.Options = v.Options;
    this.MountCount = v.MountCount;
    this.NeedsCopyUp = v.NeedsCopyUp === true;
    this.NeedsChown = v.NeedsChown === true;
    this.Anonymous = v.Anonymous === true;
  }
}
