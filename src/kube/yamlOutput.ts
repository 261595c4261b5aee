import { stringify } from 'yaml';

/** Keys sorted at every level, as Go's YAML marshalling of Kubernetes objects prints them. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortedKeys(v);
    }
    return out;
  }
  return value;
}

/** One Kubernetes object as YAML in kubectl's layout: lists not indented under their key, no folding. */
export function kubeYamlText(object: Record<string, unknown>): string {
  // YAML 1.1 rules for quoting, as Go prints: timestamps, on/off, yes/no stay strings for any reader.
  return stringify(sortedKeys(object), { version: '1.1', indentSeq: false, lineWidth: 0, minContentWidth: 0 });
}
