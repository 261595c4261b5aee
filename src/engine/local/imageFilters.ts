import type { ImageSummary } from '../types.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { pathPattern } from '../../util/pathMatch.js';
import { parseGoDuration } from '../../util/goDuration.js';

type Predicate = (image: ImageSummary) => boolean;

/**
 * podman's `images --filter`: the same key repeated ORs its values, different
 * keys AND. `resolve` turns an image name/id into its summary (before/since).
 */
export function imageFilter(filters: string[], resolve: (name: string) => ImageSummary): Predicate {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`invalid image filter "${f}": must be in the format "filter=value or filter!=value"`);
    const key = f.slice(0, eq);
    (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(f.slice(eq + 1));
  }
  const predicates: Predicate[] = [];
  for (const [key, values] of byKey) {
    const one = values.map((v) => singleFilter(key, v, resolve));
    predicates.push((image) => one.some((p) => p(image)));
  }
  return (image) => predicates.every((p) => p(image));
}

function singleFilter(key: string, value: string, resolve: (name: string) => ImageSummary): Predicate {
  switch (key) {
    case 'dangling':
      return (i) => i.Dangling === parseBool(key, value);
    case 'intermediate':
      return (i) => i.Intermediate === parseBool(key, value);
    case 'readonly':
      return (i) => i.ReadOnly === parseBool(key, value);
    case 'containers':
      return (i) => i.Containers > 0 === parseBool(key, value);
    case 'reference':
      return referenceFilter(value);
    case 'label':
      return labelFilter(value, true);
    case 'label!':
      return labelFilter(value, false);
    case 'id':
      return (i) => i.Id.startsWith(value.replace(/^sha256:/, ''));
    case 'digest':
      return (i) => i.Digest === value || i.RepoDigests.some((d) => d.endsWith(`@${value}`));
    case 'before': {
      const ref = resolve(value);
      return (i) => i.Created < ref.Created;
    }
    case 'since':
    case 'after': {
      const ref = resolve(value);
      return (i) => i.Created > ref.Created;
    }
    case 'until': {
      const limit = parseUntil(value);
      return (i) => i.Created * 1000 < limit;
    }
    default:
      throw new InvalidArgumentError(`invalid image filter "${key}": use dangling, reference, label, before, since, until, id, digest, intermediate, readonly or containers`);
  }
}

function parseBool(key: string, value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidArgumentError(`invalid filter "${key}=${value}": the value must be true or false`);
}

/** Matches like podman: a glob against the full name, the name without `docker.io/library/` (or `localhost/`), and the path's last part. */
function referenceFilter(pattern: string): Predicate {
  const withTag = pattern.includes(':') && !pattern.endsWith(']');
  const re = pathPattern(pattern);
  return (image) =>
    re !== undefined &&
    image.Names.some((name) => {
      const forms = nameForms(name);
      return forms.some((f) => re.test(withTag ? f : f.slice(0, tagColon(f))));
    });
}

function nameForms(name: string): string[] {
  const forms = [name];
  if (name.startsWith('docker.io/library/')) forms.push(name.slice('docker.io/library/'.length));
  if (name.startsWith('docker.io/')) forms.push(name.slice('docker.io/'.length));
  // Names given without a registry are kept under localhost/ and matched as given.
  if (name.startsWith('localhost/')) forms.push(name.slice('localhost/'.length));
  const slash = name.lastIndexOf('/');
  if (slash >= 0) forms.push(name.slice(slash + 1));
  return forms;
}

function tagColon(name: string): number {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? colon : name.length;
}

function labelFilter(spec: string, wanted: boolean): Predicate {
  const eq = spec.indexOf('=');
  const key = eq < 0 ? spec : spec.slice(0, eq);
  const value = eq < 0 ? undefined : spec.slice(eq + 1);
  return (image) => {
    const has = key in image.Labels && (value === undefined || image.Labels[key] === value);
    return has === wanted;
  };
}

/** `until`: a Unix timestamp, an RFC 3339 date, or a Go duration ago (`10m`, `2h`). */
export function parseUntil(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const nanos = parseGoDuration(value);
  if (nanos !== null) return Date.now() - nanos / 1e6;
  const date = Date.parse(value);
  if (Number.isNaN(date)) throw new InvalidArgumentError(`invalid time "${value}": use a Unix timestamp, RFC 3339 date or duration like 10m`);
  return date;
}
