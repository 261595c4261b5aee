/** `!reset` and `!override` YAML tags, kept as markers until files are merged. */
export class ResetTag {
  readonly reset = true;
}
export class OverrideTag {
  constructor(readonly value: unknown) {}
}
