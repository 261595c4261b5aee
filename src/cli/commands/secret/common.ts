import type { SecretInfoReport } from '../../../engine/types.js';
import { goTimeString } from '../../../util/time.js';
import { timeAgo } from '../../../util/units.js';

/** A secret as `ls` and `--format` templates see it. */
export class SecretRow {
  ID: string;
  Name: string;
  Driver: string;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: SecretInfoReport['Spec'];

  constructor(s: SecretInfoReport, human: boolean) {
    this.ID = s.ID;
    this.Name = s.Spec.Name;
    this.Driver = s.Spec.Driver.Name;
    this.CreatedAt = human ? timeAgo(new Date(s.CreatedAt)) : goTimeString(s.CreatedAt);
    this.UpdatedAt = human ? timeAgo(new Date(s.UpdatedAt)) : goTimeString(s.UpdatedAt);
    this.Spec = s.Spec;
  }
}
