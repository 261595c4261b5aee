/**
 * Compose's variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`,
 * `${VAR+alt}` and `$$` for a literal dollar. Defaults may nest.
 */
import { ComposeFileError } from './errors.js';
import { OverrideTag } from './tags.js';

export type Environment = Record<string, string | undefined>;

export interface InterpolateContext {
  env: Environment;
  file: string;
  /** Told of each unset variable used without a default (Compose then uses ''). */
  warn?: (message: string) => void;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The index of the `}` closing the `${` whose body starts at `from`. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '$') {
      i++;
    } else if (c === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

export function interpolateString(text: string, ctx: InterpolateContext, path: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new ComposeFileError(ctx.file, path, `invalid interpolation format "${text}": close \${ with }`);
      out += substitute(text.slice(i + 2, end), ctx, path, text);
      i = end;
      continue;
    }
    const m = NAME.exec(text.slice(i + 1));
    if (!m) {
      out += '$';
      continue;
    }
    out += lookup(m[0], ctx, path);
    i += m[0].length;
  }
  return out;
}

function lookup(name: string, ctx: InterpolateContext, path: string): string {
  const value = ctx.env[name];
  if (value === undefined) {
    ctx.warn?.(`The "${name}" variable is not set. Defaulting to a blank string.${path ? ` (${ctx.file}: ${path})` : ''}`);
    return '';
  }
  return value;
}

function substitute(body: string, ctx: InterpolateContext, path: string, whole: string): string {
  const m = NAME.exec(body);
  if (!m) throw new ComposeFileError(ctx.file, path, `invalid interpolation format "${whole}": a variable name must follow \${`);
  const name = m[0];
  const rest = body.slice(name.length);
  if (rest === '') return lookup(name, ctx, path);
  const colon = rest.startsWith(':');
  const op = rest[colon ? 1 : 0];
  const arg = rest.slice(colon ? 2 : 1);
  const value = ctx.env[name];
  const missing = value === undefined || (colon && value === '');
  switch (op) {
    case '-':
      return missing ? interpolateString(arg, ctx, path) : value!;
    case '?':
      if (missing) {
        const message = interpolateString(arg, ctx, path);
        throw new ComposeFileError(ctx.file, path, `required variable ${name} is missing a value${message ? `: ${message}` : ''}`);
      }
      return value!;
    case '+':
      return missing ? '' : interpolateString(arg, ctx, path);
    default:
      throw new ComposeFileError(ctx.file, path, `invalid interpolation format "${whole}": use \${${name}}, \${${name}:-default} or \${${name}:?error}`);
  }
}

/** Interpolates every string (values, not keys) in a parsed YAML tree; `path` names the node in errors. */
export function interpolateTree(node: unknown, ctx: InterpolateContext, path = ''): unknown {
  if (typeof node === 'string') return interpolateString(node, ctx, path);
  if (Array.isArray(node)) return node.map((v, i) => interpolateTree(v, ctx, `${path}[${i}]`));
  if (node instanceof OverrideTag) return new OverrideTag(interpolateTree(node.value, ctx, path));
  if (node && typeof node === 'object' && Object.getPrototypeOf(node) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, ctx, path ? `${path}.${k}` : k);
    return out;
  }
  return node;
}

/** A dotenv file: `KEY=VALUE`, `export KEY=VALUE`, quotes, `#` comments; values may use earlier variables. */
export function parseDotenv(text: string, file: string, base: Environment = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trim();
    const eq = line.indexOf('=');
    if (eq <= 0) {
      if (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(line)) {
        const inherited = base[line];
        if (inherited !== undefined) out[line] = inherited;
        continue;
      }
      throw new ComposeFileError(file, `line ${n + 1}`, `unexpected "${line}": use KEY=VALUE`);
    }
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      let body = value.slice(1);
      // A quoted value may run over several lines.
      while (!body.trimEnd().endsWith(quote) && n + 1 < lines.length) body += `\n${lines[++n]}`;
      body = body.trimEnd();
      body = body.endsWith(quote) ? body.slice(0, -1) : body;
      value = quote === '"' ? body.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\') : body;
      if (quote === '"') value = interpolateString(value, { env: { ...base, ...out }, file }, key);
    } else {
      const hash = value.search(/\s#/);
      if (hash >= 0) value = value.slice(0, hash).trimEnd();
      value = interpolateString(value, { env: { ...base, ...out }, file }, key);
    }
    out[key] = value;
  }
  return out;
}
