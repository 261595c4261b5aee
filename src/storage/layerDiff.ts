/**
 * A container's changes, read from its overlay upper dir: the list `diff`
 * prints and the layer tar `commit` stores (overlay whiteouts become OCI
 * `.wh.` entries, opaque dirs a `.wh..wh..opq` entry).
 */
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { syscalls } from '../os/syscalls.js';
import { addEntry, fileEntry, type TarHeader } from './tarPack.js';

export interface ChangeOptions {
  /** Container paths the runtime mounts over (hosts, resolv.conf, volumes): left out with what is below them. */
  exclude: Set<string>;
}

export interface LayerChange {
  path: string;
  kind: 'A' | 'C' | 'D';
}

type Node =
  | { path: string; kind: 'whiteout' }
  | { path: string; kind: 'entry'; host: string; st: Stats; opaque: boolean };

function isWhiteout(host: string, st: Stats): boolean {
  if (st.isCharacterDevice() && st.rdev === 0) return true;
  if (st.isFile() && st.size === 0) {
    try {
      return syscalls().lgetxattr(host, 'user.overlay.whiteout') !== undefined;
    } catch {
      return false;
    }
  }
  return false;
}

function isOpaque(host: string): boolean {
  for (const name of ['trusted.overlay.opaque', 'user.overlay.opaque']) {
    try {
      if (syscalls().lgetxattr(host, name)?.toString() === 'y') return true;
    } catch {
      // not permitted on this filesystem
    }
  }
  return false;
}

/** Every node of the upper dir in path order (a parent before its children). */
function* walk(upper: string, opts: ChangeOptions): Generator<Node> {
  function* visit(hostDir: string, dir: string): Generator<Node> {
    for (const name of readdirSync(hostDir).sort()) {
      const host = join(hostDir, name);
      const path = posix.join(dir, name);
      let st: Stats;
      try {
        st = lstatSync(host);
      } catch {
        continue;
      }
      if (isWhiteout(host, st)) {
        yield { path, kind: 'whiteout' };
        continue;
      }
      if (opts.exclude.has(path)) continue;
      const dirNode = st.isDirectory();
      yield { path, kind: 'entry', host, st, opaque: dirNode && isOpaque(host) };
      if (dirNode) yield* visit(host, path);
    }
  }
  yield* visit(upper, '/');
}

function inLowers(lowers: string[], path: string): boolean {
  for (const lower of lowers) {
    try {
      lstatSync(join(lower, path));
      return true;
    } catch {
      // not in this one
    }
  }
  return false;
}

/** A/C/D per changed path, in path order. */
export function layerChanges(upper: string, lowers: string[], opts: ChangeOptions & { hide?: Set<string> }): LayerChange[] {
  const changes: LayerChange[] = [];
  for (const node of walk(upper, opts)) {
    if (opts.hide?.has(node.path)) continue;
    if (node.kind === 'whiteout') changes.push({ path: node.path, kind: 'D' });
    else changes.push({ path: node.path, kind: inLowers(lowers, node.path) ? 'C' : 'A' });
  }
  return changes;
}

/** The upper dir as an OCI layer tar. */
export function packLayer(upper: string, opts: ChangeOptions): Readable {
  return packNodes(walk(upper, opts));
}

/**
 * Several overlay-format diff dirs (bottom first) as one OCI layer tar: for
 * each path the topmost layer's entry; a whiteout or an opaque dir hides what
 * the layers below it had there (build --squash).
 */
export function packSquashed(dirs: Array<{ dir: string; exclude: Set<string> }>): Readable {
  const merged = new Map<string, Node>();
  const dropBelow = (path: string) => {
    const prefix = path === '/' ? '/' : path + '/';
    for (const key of [...merged.keys()]) if (key.startsWith(prefix)) merged.delete(key);
  };
  for (const { dir, exclude } of dirs) {
    for (const node of walk(dir, { exclude })) {
      const before = merged.get(node.path);
      if (node.kind === 'whiteout') {
        dropBelow(node.path);
        merged.set(node.path, node);
        continue;
      }
      if (!node.st.isDirectory() || node.opaque) dropBelow(node.path);
      // A directory made again where a lower layer deleted the path hides what the base had there.
      const opaque = node.opaque || (node.st.isDirectory() && (before?.kind === 'whiteout' || (before?.kind === 'entry' && before.opaque)));
      merged.set(node.path, { ...node, opaque });
    }
  }
  return packNodes([...merged.keys()].sort(pathOrder).map((k) => merged.get(k)!));
}

/** Parents before children: compare path components, not characters (`/a/b` before `/a-b`). */
function pathOrder(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

function packNodes(nodes: Iterable<Node>): Readable {
  const pack = tarStream.pack();
  const links = new Map<string, string>();
  const add = (header: TarHeader): Promise<void> => addEntry(pack, header);
  (async () => {
    for (const node of nodes) {
      const name = node.path.slice(1);
      if (node.kind === 'whiteout') {
        const wh = posix.join(posix.dirname(name), `.wh.${posix.basename(name)}`);
        await add({ name: wh, type: 'file', size: 0, mode: 0o600, uid: 0, gid: 0, mtime: new Date(0) });
        continue;
      }
      const { st, host } = node;
      const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000) };
      if (st.isDirectory()) {
        await add({ ...base, name: name + '/', type: 'directory' });
        if (node.opaque) await add({ name: `${name}/.wh..wh..opq`, type: 'file', size: 0, mode: 0o600, uid: 0, gid: 0, mtime: new Date(0) });
      } else if (st.isSymbolicLink()) {
        await add({ ...base, type: 'symlink', linkname: readlinkSync(host) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(key) : undefined;
        if (first !== undefined) {
          await add({ ...base, type: 'link', linkname: first });
          continue;
        }
        if (st.nlink > 1) links.set(key, name);
        await fileEntry(pack, { ...base, type: 'file', size: st.size }, host);
      } else {
        const type = st.isCharacterDevice() ? 'character-device' : st.isBlockDevice() ? 'block-device' : st.isFIFO() ? 'fifo' : undefined;
        if (!type) continue;
        await add({ ...base, type, devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) });
      }
    }
    pack.finalize();
  })().catch((e: unknown) => pack.destroy(e as Error));
  return Readable.from(pack) as Readable;
}

/** What the runtime creates in every container: Podman's diff leaves these paths (not what is below them) out. */
export const RUNTIME_INODES = new Set([
  '/dev',
  '/etc/hostname',
  '/etc/hosts',
  '/etc/resolv.conf',
  '/proc',
  '/run',
  '/run/notify',
  '/run/.containerenv',
  '/run/secrets',
  '/sys',
  '/etc/mtab',
]);

