import { InvalidArgumentError } from './errors.js';

/** `key=value` strings grouped by key, refusing a filter without `=` as podman does. */
export function groupFilters(filters: string[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new InvalidArgumentError(`filter input must be in the form of filter=value: ${f} is invalid`);
    const key = f.slice(0, eq);
    byKey.set(key, [...(byKey.get(key) ?? []), f.slice(eq + 1)]);
  }
  return byKey;
}
