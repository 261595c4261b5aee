/**
 * The build context: a directory (or a tar archive unpacked into a private
 * one), filtered by .containerignore / .dockerignore with Docker's rules.
 * COPY/ADD sources resolve inside it; nothing outside the root can be named,
 * whatever `..` or symlinks a source path holds.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, openSync, readSync, closeSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import dockerignore, { type Ignore } from '@balena/dockerignore';
import picomatch from 'picomatch';
import { InvalidArgumentError } from '../util/errors.js';

// A CommonJS module whose typings declare a default export: at run time the module itself is the factory.
const ignoreFactory = ((dockerignore as unknown as { default?: unknown }).default ?? dockerignore) as unknown as typeof dockerignore.default;

export interface ContextSource {
  /** Path relative to the context root ('' for the root itself). */
  rel: string;
  host: string;
  stat: Stats;
}

export class BuildContext {
  private readonly ignore: Ignore | undefined;
  private readonly hasExceptions: boolean;
  private readonly realRoot: string;

  private constructor(
    readonly root: string,
    patterns: string[],
    private readonly ownedDir?: string,
  ) {
    this.realRoot = realpathSync(root);
    const cleaned = patterns.map((p) => p.trim()).filter((p) => p && !p.startsWith('#'));
    this.ignore = cleaned.length ? ignoreFactory().add(cleaned) : undefined;
    this.hasExceptions = cleaned.some((p) => p.startsWith('!'));
  }

  /**
   * A context directory; the ignore file is --ignorefile, else `<containerfile>.containerignore`
   * or `.dockerignore` beside the Containerfile, else the context's `.containerignore` / `.dockerignore`.
   */
  static fromDirectory(dir: string, opts: { containerfile?: string; ignoreFile?: string } = {}): BuildContext {
    let st: Stats;
    try {
      st = statSync(dir);
    } catch {
      throw new InvalidArgumentError(`no context directory "${dir}": give an existing directory, a tar archive on stdin (-), or check the path`);
    }
    if (!st.isDirectory()) throw new InvalidArgumentError(`context "${dir}" is not a directory: give a directory or - for a tar archive on stdin`);
    const patterns = ignorePatterns(dir, opts.containerfile, opts.ignoreFile);
    return new BuildContext(dir, patterns);
  }

  /** A context sent as a tar archive (stdin): unpacked into a private directory, removed by dispose. */
  static async fromArchive(input: Readable, opts: { containerfileInContext?: string; ignoreFile?: string }): Promise<BuildContext> {
    const dir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'tspod-build-context-'));
    try {
      const [{ RootedTree }, { extractTar }, { decompressStream }] = await Promise.all([
        import('../engine/local/containerRootfs.js'),
        import('../engine/local/containerCopy.js'),
        import('../storage/tar/decompress.js'),
      ]);
      await extractTar((await decompressStream(input)).stream, {
        tree: new RootedTree([{ destination: '/', host: dir }]),
        baseDir: '/',
        owner: 'archive',
        overwrite: true,
        chown: false,
      });
      const containerfile = opts.containerfileInContext ? join(dir, cleanRel(opts.containerfileInContext)) : undefined;
      return new BuildContext(dir, ignorePatterns(dir, containerfile, opts.ignoreFile), dir);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  dispose(): void {
    if (this.ownedDir) rmSync(this.ownedDir, { recursive: true, force: true });
  }

  /** Whether a context path is left out by the ignore file. */
  excluded(rel: string): boolean {
    return rel !== '' && this.ignore !== undefined && this.ignore.ignores(rel);
  }

  /** Whether a walk must enter an excluded directory (an exception may re-include something in it). */
  enterExcluded(): boolean {
    return this.hasExceptions;
  }

  private hostOf(rel: string): string {
    const host = rel === '' ? this.root : join(this.root, rel);
    let real: string;
    try {
      real = realpathSync(host);
    } catch {
      return host;
    }
    if (real !== this.realRoot && !real.startsWith(this.realRoot + sep)) {
      throw new InvalidArgumentError(`"${rel}" points outside the build context: copy what it points to into the context`);
    }
    return real;
  }

  /**
   * COPY/ADD sources: each pattern is relative to the context root (a leading
   * `/` and `..` past the root stay at the root); globs match every path.
   */
  resolve(patterns: string[], instruction: string): ContextSource[] {
    const out: ContextSource[] = [];
    for (const pattern of patterns) {
      const rel = cleanRel(pattern);
      if (/[*?[]/.test(rel)) {
        const isMatch = picomatch(rel, { dot: true });
        const matches = this.walkAll().filter((r) => isMatch(r));
        if (matches.length === 0) throw notFound(instruction, pattern);
        for (const m of matches) out.push(this.source(m, instruction, pattern));
        continue;
      }
      if (this.excluded(rel)) throw notFound(instruction, pattern);
      out.push(this.source(rel, instruction, pattern));
    }
    return out;
  }

  private source(rel: string, instruction: string, pattern: string): ContextSource {
    const host = this.hostOf(rel);
    let stat: Stats;
    try {
      stat = statSync(host);
    } catch {
      throw notFound(instruction, pattern);
    }
    return { rel, host, stat };
  }

  /** Every non-excluded path of the context, relative, parents first. */
  private walkAll(): string[] {
    const out: string[] = [];
    const visit = (rel: string) => {
      for (const name of readdirSync(rel ? join(this.root, rel) : this.root).sort()) {
        const child = rel ? `${rel}/${name}` : name;
        const excluded = this.excluded(child);
        const st = lstatSync(join(this.root, child));
        if (!excluded) out.push(child);
        if (st.isDirectory() && (!excluded || this.hasExceptions)) visit(child);
      }
    };
    visit('');
    return out;
  }

  /**
   * The entries a directory source contributes, relative to it, parents first,
   * without excluded paths (symlinks are entries, never followed).
   */
  walk(source: ContextSource): Array<{ rel: string; host: string; stat: Stats }> {
    const out: Array<{ rel: string; host: string; stat: Stats }> = [];
    const visit = (hostDir: string, relInSource: string) => {
      for (const name of readdirSync(hostDir).sort()) {
        const relInSrc = relInSource ? `${relInSource}/${name}` : name;
        const relInCtx = source.rel ? `${source.rel}/${relInSrc}` : relInSrc;
        const host = join(hostDir, name);
        const stat = lstatSync(host);
        const excluded = this.excluded(relInCtx);
        if (!excluded) out.push({ rel: relInSrc, host, stat });
        if (stat.isDirectory() && (!excluded || this.hasExceptions)) visit(host, relInSrc);
      }
    };
    visit(source.host, '');
    return out;
  }
}

/** The ignore file's lines: --ignorefile, else beside the Containerfile, else the context's own. */
function ignorePatterns(dir: string, containerfile: string | undefined, ignoreFile: string | undefined): string[] {
  if (ignoreFile) {
    if (!existsSync(ignoreFile)) throw new InvalidArgumentError(`no ignore file "${ignoreFile}": check the --ignorefile path`);
    return readFileSync(ignoreFile, 'utf8').split(/\r?\n/);
  }
  const candidates = [
    ...(containerfile ? [`${containerfile}.containerignore`, `${containerfile}.dockerignore`] : []),
    join(dir, '.containerignore'),
    join(dir, '.dockerignore'),
  ];
  for (const file of candidates) if (existsSync(file)) return readFileSync(file, 'utf8').split(/\r?\n/);
  return [];
}

function notFound(instruction: string, pattern: string): InvalidArgumentError {
  return new InvalidArgumentError(`${instruction}: no source "${pattern}" in the build context (or it is excluded by .containerignore/.dockerignore): check the path`);
}

/** A context-relative path: `/a/../b/` -> `b`, `..` past the root dropped. */
/** The Containerfile `name` (a path inside the context) of an unpacked context archive. */
export function readContainerfile(context: BuildContext, name: string): { name: string; content: string } {
  const path = join(context.root, cleanRel(name));
  try {
    return { name, content: readFileSync(path, 'utf8') };
  } catch {
    throw new InvalidArgumentError(`no ${name} in the context archive: add one or name it with -f`);
  }
}

export function cleanRel(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/**
 * The content digest that keys a COPY/ADD step in the cache: names, types,
 * modes, link targets and file contents of everything copied. File digests are
 * remembered by (device, inode, size, mtime, ctime) in `memo`, so an unchanged
 * context is not read again on a warm build.
 */
export function sourcesDigest(ctx: BuildContext | undefined, sources: ContextSource[], memo: DigestMemo): string {
  const h = createHash('sha256');
  const single = sources.length === 1 && sources[0]!.stat.isFile();
  for (const src of sources) {
    h.update(`S ${src.rel}\0`);
    const entries = src.stat.isDirectory() ? [{ rel: '', host: src.host, stat: src.stat }, ...(ctx ? ctx.walk(src) : walkPlain(src.host))] : [{ rel: '', host: src.host, stat: src.stat }];
    for (const e of entries) {
      const st = e.stat;
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) h.update(`D ${e.rel} ${mode}\0`);
      else if (st.isSymbolicLink()) h.update(`L ${e.rel} ${readlinkSync(e.host)}\0`);
      else if (st.isFile()) h.update(`F ${e.rel} ${mode} ${memo.fileDigest(e.host, st)}\0`);
      else h.update(`O ${e.rel} ${mode}\0`);
    }
  }
  const hex = h.digest('hex');
  return single ? `file:${memo.fileDigest(sources[0]!.host, sources[0]!.stat)}` : `${sources.length === 1 ? 'dir' : 'multi'}:${hex}`;
}

/** Every entry below a directory, relative, parents first (symlinks not followed). */
export function walkPlain(dir: string): Array<{ rel: string; host: string; stat: Stats }> {
  const out: Array<{ rel: string; host: string; stat: Stats }> = [];
  const visit = (hostDir: string, rel: string) => {
    for (const name of readdirSync(hostDir).sort()) {
      const host = join(hostDir, name);
      const r = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(host);
      out.push({ rel: r, host, stat });
      if (stat.isDirectory()) visit(host, r);
    }
  };
  visit(dir, '');
  return out;
}

/** File content digests, remembered across builds by file identity (a JSON file in storage). */
export class DigestMemo {
  private readonly entries: Map<string, string>;
  private dirty = false;

  constructor(private readonly file?: string) {
    this.entries = new Map();
    if (!file) return;
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
      for (const [k, v] of Object.entries(data)) this.entries.set(k, v);
    } catch {
      // none yet, or damaged: start afresh
    }
  }

  fileDigest(host: string, st: Stats): string {
    const key = `${host}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const known = this.entries.get(key);
    if (known) return known;
    const h = createHash('sha256');
    const fd = openSync(host, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n <= 0) break;
        h.update(buf.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
    const digest = h.digest('hex');
    this.entries.set(key, digest);
    this.dirty = true;
    return digest;
  }

  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    const { atomicFile } = await import('../util/atomicFile.js');
    // Bounded: the newest 20000 entries.
    const all = [...this.entries].slice(-20000);
    const out = atomicFile(this.file);
    out.stream.end(JSON.stringify(Object.fromEntries(all)));
    await out.commit();
  }
}
