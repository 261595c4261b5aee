import type { RegistriesConf } from '../config/registriesConf.js';
import { InvalidArgumentError } from '../util/errors.js';

/** `[domain[:port]/]path[:tag][@digest]`, split into its parts. */
export interface ImageReference {
  domain?: string;
  path: string;
  tag?: string;
  digest?: string;
}

const MAX_NAME_LENGTH = 255;
const DEFAULT_TAG = 'latest';
const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io']);

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST_ALGORITHM = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/;
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const IMAGE_ID_PREFIX = /^(?:sha256:)?[a-f0-9]{3,64}$/;

function invalid(detail: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid reference format: ${detail}`);
}

/** Parses a reference with Docker's grammar; throws InvalidArgumentError on bad input. */
export function parseReference(s: string): ImageReference {
  if (s === '') throw invalid('repository name must have at least one component');
  const at = s.indexOf('@');
  const digest = at >= 0 ? parseDigest(s.slice(at + 1)) : undefined;
  const nameAndTag = at >= 0 ? s.slice(0, at) : s;
  const { name, tag } = splitTag(nameAndTag);
  if (tag !== undefined && !TAG.test(tag)) throw invalid(`invalid tag ${JSON.stringify(tag)} in ${JSON.stringify(s)}`);
  const { domain, path } = splitDomain(name);
  if (domain !== undefined && !DOMAIN.test(domain)) throw invalid(`invalid registry ${JSON.stringify(domain)} in ${JSON.stringify(s)}`);
  validatePath(path, s);
  if (name.length > MAX_NAME_LENGTH) throw invalid(`repository name must not be more than ${MAX_NAME_LENGTH} characters`);
  return { ...(domain !== undefined && { domain }), path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

function parseDigest(digest: string): string {
  const colon = digest.indexOf(':');
  const algorithm = colon > 0 ? digest.slice(0, colon) : '';
  const hex = digest.slice(colon + 1);
  if (!DIGEST_ALGORITHM.test(algorithm) || hex === '') throw invalid(`invalid digest ${JSON.stringify(digest)}: expected algorithm:hex`);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) throw invalid(`unsupported digest algorithm ${JSON.stringify(algorithm)}`);
  if (!/^[a-f0-9]+$/.test(hex) || hex.length !== length) {
    throw invalid(`invalid ${algorithm} digest ${JSON.stringify(digest)}: expected ${length} lowercase hex characters`);
  }
  return digest;
}

/** The tag is after the last `:` that follows the last `/` (a colon before it belongs to a port). */
function splitTag(nameAndTag: string): { name: string; tag?: string } {
  const colon = nameAndTag.lastIndexOf(':');
  if (colon < 0 || colon < nameAndTag.lastIndexOf('/')) return { name: nameAndTag };
  return { name: nameAndTag.slice(0, colon), tag: nameAndTag.slice(colon + 1) };
}

/**
 * Docker's rule: the first component is a registry when it has a `.` or
 * `:`, is `localhost`, or has uppercase letters (repositories cannot).
 */
function splitDomain(name: string): { domain?: string; path: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { path: name };
  const first = name.slice(0, slash);
  const isDomain = /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase();
  return isDomain ? { domain: first, path: name.slice(slash + 1) } : { path: name };
}

function validatePath(path: string, input: string): void {
  const components = path.split('/');
  if (components.every((c) => PATH_COMPONENT.test(c))) {
    if (components.length === 1 && /^[a-f0-9]{64}$/.test(path)) {
      throw invalid(`invalid repository name ${JSON.stringify(path)}: cannot specify 64-byte hexadecimal strings`);
    }
    return;
  }
  if (components.every((c) => PATH_COMPONENT.test(c.toLowerCase()))) throw invalid('repository name must be lowercase');
  throw invalid(`${JSON.stringify(input)} is not [registry[:port]/]name[:tag][@digest]`);
}

export function isShortName(ref: ImageReference): boolean {
  return ref.domain === undefined;
}

/** `domain/path`, or just `path` for a short name. */
export function fullName(ref: ImageReference): string {
  return ref.domain === undefined ? ref.path : `${ref.domain}/${ref.path}`;
}

/** `domain/path:tag@digest`, with the parts that are present. */
export function formatReference(ref: ImageReference): string {
  return fullName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

export { formatReference as toString };

/** Adds tag `latest` when the reference has neither tag nor digest. */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag !== undefined || ref.digest !== undefined ? ref : { ...ref, tag: DEFAULT_TAG };
}

/**
 * Docker Hub's canonical form: `index.docker.io` becomes `docker.io`, and a
 * single-component repository there lives under `library/`. Short names are
 * left alone (which registry they mean is not known yet).
 */
export function normalizeDockerHub(ref: ImageReference): ImageReference {
  if (ref.domain === undefined || !DOCKER_HUB_ALIASES.has(ref.domain)) return ref;
  const path = ref.path.includes('/') ? ref.path : `library/${ref.path}`;
  return { ...ref, domain: DOCKER_HUB, path };
}

/** The name as Docker shows it: `docker.io/library/busybox` is `busybox`, `docker.io/x/y` is `x/y`. */
export function familiarName(ref: ImageReference): string {
  const normalized = normalizeDockerHub(ref);
  if (normalized.domain !== DOCKER_HUB) return fullName(normalized);
  const path = normalized.path;
  return path.startsWith('library/') && path.split('/').length === 2 ? path.slice('library/'.length) : path;
}

/** `3..64` lowercase hex characters, optionally after `sha256:`: what may be an image id or its prefix. */
export function isImageIdPrefix(s: string): boolean {
  return IMAGE_ID_PREFIX.test(s);
}

/**
 * The fully qualified names podman tries for a name, in order, each tagged
 * `latest` unless it has a tag or digest. A short name resolves through its
 * [aliases] entry alone when there is one, else through every unqualified
 * search registry. (`localhost/<name>` for local lookups is the caller's.)
 */
export function resolveShortNameCandidates(name: string, conf: RegistriesConf): string[] {
  const ref = parseReference(name);
  const qualify = (domain: string, path: string): string =>
    formatReference(withDefaultTag(normalizeDockerHub({ ...ref, domain, path })));
  if (ref.domain !== undefined) return [qualify(ref.domain, ref.path)];
  const alias = Object.hasOwn(conf.aliases, ref.path) ? conf.aliases[ref.path] : undefined;
  if (alias) {
    const target = parseReference(alias);
    return [qualify(target.domain ?? DOCKER_HUB, target.path)];
  }
  return conf.unqualifiedSearchRegistries.map((registry) => qualify(registry, ref.path));
}
