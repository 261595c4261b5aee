import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { applyLayerTar, type ApplyLayerOptions, type WhiteoutFormat } from '../../src/storage/tar/apply.js';
import { decompressStream } from '../../src/storage/tar/decompress.js';
import { readTar, TarParser, type TarEntry } from '../../src/storage/tar/reader.js';
import { replayTarSplit } from '../../src/storage/tar/tarsplit.js';
import { syscalls } from '../../src/os/syscalls.js';
import { BadInputError } from '../../src/util/errors.js';
import { scratchArea } from './scratch.js';

const scratch = scratchArea('layer-tar');
const freshDir = (label: string) => scratch.fresh(label);

// ------------------------------------------------------------------ tar builders

interface PackEntry {
  header: Partial<tarStream.Header> & { name: string; pax?: Record<string, string> };
  content?: Buffer | string;
}

async function packTar(entries: PackEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const collected = collect(pack as AsyncIterable<unknown>);
  for (const { header, content } of entries) {
    await new Promise<void>((resolve, reject) => {
      const body = Buffer.from(content ?? '');
      pack.entry({ mtime: new Date(1_600_000_000_000), ...header, size: body.length }, body, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  return collected;
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
}

interface RawHeaderFields {
  name: string;
  type?: string;
  size?: number;
  mode?: number;
  linkname?: string;
  uid?: number;
  gid?: number;
  mtime?: number;
}

/** A hand-made ustar header block with a correct checksum (unless patched later). */
function ustarHeader(fields: RawHeaderFields): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 100, 'latin1');
  octal(block, 100, 8, fields.mode ?? 0o644);
  octal(block, 108, 8, fields.uid ?? 0);
  octal(block, 116, 8, fields.gid ?? 0);
  octal(block, 124, 12, fields.size ?? 0);
  octal(block, 136, 12, fields.mtime ?? 1_600_000_000);
  block.write(fields.type ?? '0', 156, 1, 'latin1');
  block.write(fields.linkname ?? '', 157, 100, 'latin1');
  block.write('ustar\0', 257, 6, 'latin1');
  block.write('00', 263, 2, 'latin1');
  setChecksum(block);
  return block;
}

function setChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}

function padded(content: Buffer): Buffer {
  return Buffer.concat([content, Buffer.alloc((512 - (content.length % 512)) % 512)]);
}

function rawFile(name: string, content: string, fields: Partial<RawHeaderFields> = {}): Buffer {
  const body = Buffer.from(content);
  return Buffer.concat([ustarHeader({ name, size: body.length, ...fields }), padded(body)]);
}

function paxHeader(records: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length++;
    parts.push(Buffer.concat([Buffer.from(String(length)), body]));
  }
  const data = Buffer.concat(parts);
  return Buffer.concat([ustarHeader({ name: 'PaxHeaders/x', type: 'x', size: data.length }), padded(data)]);
}

function endOfArchive(): Buffer {
  return Buffer.alloc(1024);
}

function tarOf(...parts: Buffer[]): Buffer {
  return Buffer.concat([...parts, endOfArchive()]);
}

// ------------------------------------------------------------------ helpers

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Feeds a buffer in chunks of the given sizes (cycled) to exercise boundary handling. */
function chunked(data: Buffer, sizes: number[]): Readable {
  const chunks: Buffer[] = [];
  let pos = 0;
  for (let i = 0; pos < data.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(Buffer.from(data.subarray(pos, pos + size)));
    pos += size;
  }
  return Readable.from(chunks);
}

async function apply(tar: Buffer, format: WhiteoutFormat = 'overlay', extra: Partial<ApplyLayerOptions> = {}) {
  const dir = freshDir('layer');
  const targetDir = join(dir, 'diff');
  const tarSplitPath = join(dir, 'tarsplit.gz');
  const warnings: string[] = [];
  const result = await applyLayerTar(chunked(tar, [65536]), {
    targetDir,
    tarSplitPath,
    whiteoutFormat: format,
    chown: true,
    onWarning: (m) => warnings.push(m),
    ...extra,
  });
  return { ...result, targetDir, tarSplitPath, dir, warnings };
}

async function assertReplayIdentical(tar: Buffer, format: WhiteoutFormat = 'overlay'): Promise<void> {
  const applied = await apply(tar, format);
  assert.equal(applied.diffId, `sha256:${sha256(tar)}`);
  assert.equal(applied.tarSize, tar.length);
  const replayed = await collect(replayTarSplit(applied.targetDir, applied.tarSplitPath));
  assert.equal(replayed.length, tar.length);
  assert.equal(sha256(replayed), sha256(tar));
}

/** Path -> type/size/mtime of everything under dir, for "nothing changed" checks. */
function snapshot(dir: string): Map<string, string> {
  const result = new Map<string, string>();
  const walk = (path: string): void => {
    const st = lstatSync(path);
    result.set(path, `${st.mode}:${st.size}:${st.mtimeMs}:${st.nlink}`);
    if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return result;
}

function isBadInput(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof BadInputError, `expected BadInputError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'message is one line');
    return true;
  };
}

function xattr(path: string, name: string): string | undefined {
  return syscalls().lgetxattr(path, name)?.toString();
}

function gnuTar(args: string[], cwd: string): Buffer {
  return execFileSync('tar', args, { cwd, maxBuffer: 1 << 28 });
}

// ------------------------------------------------------------------ reader

describe('tar reader', () => {
  async function eventsOf(tar: Buffer, sizes: number[]) {
    const entries: TarEntry[] = [];
    const pieces: Buffer[] = [];
    const contents: Buffer[] = [];
    for await (const event of readTar(chunked(tar, sizes))) {
      switch (event.kind) {
        case 'entry':
          entries.push(event.entry);
          pieces.push(event.entry.rawHeader);
          contents.push(Buffer.alloc(0));
          break;
        case 'content':
          pieces.push(Buffer.from(event.chunk));
          contents[contents.length - 1] = Buffer.concat([contents[contents.length - 1]!, event.chunk]);
          break;
        case 'entryEnd':
          pieces.push(event.padding);
          break;
        case 'trailer':
          pieces.push(Buffer.from(event.chunk));
          break;
      }
    }
    return { entries, contents, rebuilt: Buffer.concat(pieces) };
  }

  it('parses every field and its raw pieces rebuild the input, whatever the chunking', async () => {
    const longName = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    const tar = await packTar([
      { header: { name: 'dir/', type: 'directory', mode: 0o1755, uid: 1000, gid: 1001, uname: 'u', gname: 'g' } },
      { header: { name: 'dir/file', mode: 0o4711 }, content: 'hello world' },
      { header: { name: longName }, content: 'x'.repeat(1000) },
      { header: { name: 'xattr', pax: { 'SCHILY.xattr.user.test': 'value', mtime: '1600000000.25' } }, content: '' },
      { header: { name: 'link', type: 'symlink', linkname: 'dir/file' } },
      { header: { name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 } },
    ]);
    for (const sizes of [[1], [7, 513], [512], [100000], [3, 1024, 5]]) {
      const { entries, contents, rebuilt } = await eventsOf(tar, sizes);
      assert.equal(sha256(rebuilt), sha256(tar), `chunk sizes ${sizes.join(',')}`);
      assert.deepEqual(
        entries.map((e) => [e.header.name, e.header.type]),
        [
          ['dir/', 'directory'],
          ['dir/file', 'file'],
          [longName, 'file'],
          ['xattr', 'file'],
          ['link', 'symlink'],
          ['dev', 'char'],
        ],
      );
      const [dir, file, long, withXattr, link, dev] = entries as [TarEntry, TarEntry, TarEntry, TarEntry, TarEntry, TarEntry];
      assert.equal(dir.header.mode, 0o1755);
      assert.deepEqual([dir.header.uid, dir.header.gid, dir.header.uname, dir.header.gname], [1000, 1001, 'u', 'g']);
      assert.equal(file.header.mode, 0o4711);
      assert.equal(file.header.mtime, 1_600_000_000);
      assert.equal(contents[1]!.toString(), 'hello world');
      assert.equal(long.contentSize, 1000);
      assert.ok(long.rawHeader.length > 512, 'PAX header blocks belong to the entry');
      assert.equal(withXattr.header.xattrs.get('user.test')?.toString(), 'value');
      assert.equal(withXattr.header.mtime, 1_600_000_000.25);
      assert.equal(link.header.linkname, 'dir/file');
      assert.deepEqual([dev.header.devmajor, dev.header.devminor], [1, 3]);
    }
  });

  it('reads GNU long names, the ustar prefix field and PAX from GNU tar', async () => {
    const src = freshDir('src');
    const deep = join(src, 'a'.repeat(90), 'b'.repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'c'.repeat(95)), 'content');
    symlinkSync('t'.repeat(150), join(src, 'longlink'));
    for (const format of ['gnu', 'ustar', 'pax']) {
      const tar = gnuTar([`--format=${format}`, ...(format === 'ustar' ? ['--exclude=longlink'] : []), '-cf', '-', '.'], src);
      const { entries, rebuilt } = await eventsOf(tar, [4096]);
      assert.equal(sha256(rebuilt), sha256(tar));
      const names = entries.map((e) => e.header.name);
      assert.ok(names.includes(`./${'a'.repeat(90)}/${'b'.repeat(60)}/${'c'.repeat(95)}`), `${format}: ${names.join(' ')}`);
      if (format !== 'ustar') {
        assert.equal(entries.find((e) => e.header.name === './longlink')?.header.linkname, 't'.repeat(150));
      }
    }
  });

  it('reads base-256 numbers and signed checksums', () => {
    const block = ustarHeader({ name: 'big', size: 0 });
    block.fill(0, 108, 116);
    block[108] = 0x80;
    block.writeUInt32BE(3_000_000_000, 112);
    block[200] = 0xe9; // a high byte in the unused area makes signed and unsigned sums differ
    block.fill(0x20, 148, 156);
    let signed = 0;
    for (const b of block) signed += b > 127 ? b - 256 : b;
    block.write(`${signed.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
    const entries: TarEntry[] = [];
    const parser = new TarParser({ entry: (e) => entries.push(e), content: () => {}, entryEnd: () => {}, trailer: () => {} });
    parser.write(tarOf(block));
    parser.end();
    assert.equal(entries[0]!.header.uid, 3_000_000_000);
  });

  for (const [label, tar, pattern] of [
    ['a bad checksum', (() => { const b = ustarHeader({ name: 'x' }); b[0] = 0x79; return tarOf(b); })(), /bad header checksum at offset 0/],
    ['content cut short', rawFile('file', 'x'.repeat(2000)).subarray(0, 1500), /truncated archive: entry "file" declares 2000 bytes but the input ends after 988/],
    ['a cut header', Buffer.concat([rawFile('a', 'x'), ustarHeader({ name: 'b' }).subarray(0, 100)]), /truncated archive: the input ends inside a header block/],
    ['an absurd size', tarOf(ustarHeader({ name: 'huge', size: 0o77777777777 }), Buffer.from('tiny')), /truncated archive: entry "huge" declares 8589934591 bytes/],
    ['a NUL in a PAX path', tarOf(paxHeader({ path: 'a\0b' }), ustarHeader({ name: 'x' })), /NUL byte in its name/],
    ['junk in a numeric field', (() => { const b = ustarHeader({ name: 'x' }); b.write('12x45', 108, 'latin1'); setChecksum(b); return tarOf(b); })(), /invalid uid field/],
    ['a negative base-256 size', (() => { const b = ustarHeader({ name: 'x' }); b.fill(0xff, 124, 136); setChecksum(b); return tarOf(b); })(), /negative size field/],
    ['a negative PAX size', tarOf(paxHeader({ size: '-5' }), ustarHeader({ name: 'x' })), /invalid PAX size "-5"/],
    ['an extended header without entry', paxHeader({ path: 'x' }), /ends after an extended header/],
  ] as const) {
    it(`rejects ${label}`, async () => {
      await assert.rejects(eventsOf(tar, [512]), isBadInput(pattern));
    });
  }

  it('accepts an archive without end-of-archive blocks', async () => {
    const tar = rawFile('a', 'x');
    const { entries, rebuilt } = await eventsOf(tar, [512]);
    assert.equal(entries.length, 1);
    assert.equal(sha256(rebuilt), sha256(tar));
  });
});

// ------------------------------------------------------------------ apply

describe('applyLayerTar', () => {
  it('writes every entry type with its metadata', async () => {
    const mtime = new Date(1_500_000_000_000);
    const tar = await packTar([
      { header: { name: './', type: 'directory', mode: 0o755, mtime } },
      { header: { name: 'dir/', type: 'directory', mode: 0o2775, uid: 1000, gid: 1001, mtime } },
      { header: { name: 'dir/suid', mode: 0o4755, uid: 1000, gid: 1001, mtime }, content: 'binary' },
      { header: { name: 'dir/sticky/', type: 'directory', mode: 0o1777, mtime } },
      { header: { name: 'dir/plain', mode: 0o640, uid: 5, gid: 6, mtime }, content: 'plain' },
      { header: { name: 'dir/hard', type: 'link', linkname: 'dir/plain', mtime } },
      { header: { name: 'dir/sym', type: 'symlink', linkname: '../outside/target', uid: 7, gid: 8, mtime } },
      { header: { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666, mtime } },
      { header: { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660, mtime } },
      { header: { name: 'fifo', type: 'fifo', mode: 0o600, uid: 9, gid: 10, mtime } },
      { header: { name: 'empty', mode: 0o600, mtime } },
    ]);
    const { targetDir, contentSize, diffId } = await apply(tar);
    assert.equal(diffId, `sha256:${sha256(tar)}`);
    assert.equal(contentSize, 'binary'.length + 'plain'.length);
    const st = (p: string) => lstatSync(join(targetDir, p));
    const seconds = mtime.getTime();
    assert.equal(st('dir').mode & 0o7777, 0o2775);
    assert.deepEqual([st('dir').uid, st('dir').gid], [1000, 1001]);
    assert.equal(st('dir').mtimeMs, seconds, 'dir mtime set after its children were written');
    assert.equal(st('.').mtimeMs, seconds);
    assert.equal(st('dir/suid').mode & 0o7777, 0o4755, 'setuid survives chown');
    assert.deepEqual([st('dir/suid').uid, st('dir/suid').gid], [1000, 1001]);
    assert.equal(readFileSync(join(targetDir, 'dir/suid'), 'utf8'), 'binary');
    assert.equal(st('dir/sticky').mode & 0o7777, 0o1777);
    assert.equal(st('dir/plain').mode & 0o7777, 0o640);
    assert.equal(st('dir/plain').mtimeMs, seconds);
    assert.equal(st('dir/hard').ino, st('dir/plain').ino);
    assert.equal(st('dir/plain').nlink, 2);
    assert.ok(st('dir/sym').isSymbolicLink());
    assert.equal(readlinkSync(join(targetDir, 'dir/sym')), '../outside/target');
    assert.deepEqual([st('dir/sym').uid, st('dir/sym').gid], [7, 8]);
    assert.equal(st('dir/sym').mtimeMs, seconds, 'lutimes on the symlink itself');
    assert.ok(st('dev/null').isCharacterDevice());
    assert.equal(st('dev/null').rdev, (1 << 8) | 3);
    assert.equal(st('dev/null').mode & 0o7777, 0o666);
    assert.ok(st('dev/loop0').isBlockDevice());
    assert.equal(st('dev/loop0').rdev, 7 << 8);
    assert.ok(st('fifo').isFIFO());
    assert.deepEqual([st('fifo').uid, st('fifo').gid, st('fifo').mode & 0o7777], [9, 10, 0o600]);
    assert.equal(st('empty').size, 0);
  });

  it('reports progress as cumulative tar bytes', async () => {
    const tar = await packTar([{ header: { name: 'f' }, content: Buffer.alloc(200_000) }]);
    const seen: number[] = [];
    await apply(tar, 'overlay', { onProgress: (bytes) => seen.push(bytes) });
    assert.equal(seen.at(-1), tar.length);
    assert.ok(seen.every((n, i) => i === 0 || n > seen[i - 1]!));
  });

  it('does not chown when told not to', async () => {
    const tar = await packTar([{ header: { name: 'f', uid: 1234, gid: 5678 }, content: 'x' }]);
    const { targetDir } = await apply(tar, 'overlay', { chown: false });
    assert.equal(lstatSync(join(targetDir, 'f')).uid, process.getuid!());
  });

  it('applies PAX long names, fractional mtimes and xattrs', async () => {
    const longName = `${'n'.repeat(150)}/${'m'.repeat(120)}`;
    const tar = await packTar([
      { header: { name: longName, pax: { 'SCHILY.xattr.user.color': 'blue', mtime: '1600000000.5' } }, content: 'long' },
      { header: { name: 'capdir/', type: 'directory', pax: { 'SCHILY.xattr.user.dir': 'yes' } } },
      { header: { name: 'sneaky', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } }, content: '' },
    ]);
    const { targetDir, warnings } = await apply(tar);
    const file = join(targetDir, longName);
    assert.equal(readFileSync(file, 'utf8'), 'long');
    assert.equal(xattr(file, 'user.color'), 'blue');
    assert.equal(lstatSync(file).mtimeMs, 1_600_000_000_500);
    assert.equal(xattr(join(targetDir, 'capdir'), 'user.dir'), 'yes');
    assert.equal(xattr(join(targetDir, 'sneaky'), 'trusted.overlay.opaque'), undefined, 'overlay xattrs from the tar are dropped');
    assert.ok(warnings.some((w) => w.includes('trusted.overlay.opaque')));
  });

  it('replaces files, symlinks and dirs of the same name without following them', async () => {
    const outside = freshDir('outside');
    writeFileSync(join(outside, 'victim'), 'original');
    const before = snapshot(outside);
    const tar = tarOf(
      rawFile('a', 'first'),
      rawFile('a', 'second'),
      ustarHeader({ name: 'link', type: '2', linkname: join(outside, 'victim') }),
      rawFile('link', 'replaced the link'),
      ustarHeader({ name: 'd/', type: '5' }),
      rawFile('d/child', 'child'),
      rawFile('d', 'now a file'),
      ustarHeader({ name: 'e', type: '2', linkname: 'whatever' }),
      ustarHeader({ name: 'e/', type: '5', mode: 0o700 }),
    );
    const { targetDir } = await apply(tar);
    assert.equal(readFileSync(join(targetDir, 'a'), 'utf8'), 'second');
    assert.equal(readFileSync(join(targetDir, 'link'), 'utf8'), 'replaced the link');
    assert.ok(lstatSync(join(targetDir, 'link')).isFile());
    assert.equal(readFileSync(join(targetDir, 'd'), 'utf8'), 'now a file');
    assert.ok(lstatSync(join(targetDir, 'e')).isDirectory());
    assert.deepEqual(snapshot(outside), before);
    await assertReplayIdentical(tar);
  });

  it('gives a directory entry over an existing dir only new metadata', async () => {
    const tar = tarOf(
      ustarHeader({ name: 'd/', type: '5', mode: 0o755 }),
      rawFile('d/keep', 'kept'),
      ustarHeader({ name: 'd/', type: '5', mode: 0o711, mtime: 1_234_567_890 }),
    );
    const { targetDir } = await apply(tar);
    assert.equal(readFileSync(join(targetDir, 'd/keep'), 'utf8'), 'kept');
    assert.equal(lstatSync(join(targetDir, 'd')).mode & 0o7777, 0o711);
    assert.equal(lstatSync(join(targetDir, 'd')).mtimeMs, 1_234_567_890_000);
  });

  it('resolves symlinked parent dirs inside the layer', async () => {
    const tar = tarOf(
      ustarHeader({ name: 'usr/lib/', type: '5' }),
      ustarHeader({ name: 'lib', type: '2', linkname: 'usr/lib' }),
      rawFile('lib/libc.so', 'libc'),
      ustarHeader({ name: 'abs', type: '2', linkname: '/usr' }),
      rawFile('abs/lib/other.so', 'other'),
    );
    const { targetDir } = await apply(tar);
    assert.equal(readFileSync(join(targetDir, 'usr/lib/libc.so'), 'utf8'), 'libc');
    assert.equal(readFileSync(join(targetDir, 'usr/lib/other.so'), 'utf8'), 'other');
    await assertReplayIdentical(tar);
  });
});

// ------------------------------------------------------------------ tar-split

describe('tar-split replay', () => {
  it('rebuilds tar-stream archives byte for byte', async () => {
    await assertReplayIdentical(
      await packTar([
        { header: { name: 'dir/', type: 'directory' } },
        { header: { name: 'dir/small' }, content: 'abc' },
        { header: { name: 'dir/aligned' }, content: Buffer.alloc(1024, 7) },
        { header: { name: 'dir/big' }, content: Buffer.alloc(3 << 20, 'xyz') },
        { header: { name: `${'p'.repeat(200)}`, pax: { 'SCHILY.xattr.user.a': 'b' } }, content: 'pax' },
        { header: { name: 'dir/link', type: 'link', linkname: 'dir/small' } },
        { header: { name: 'sym', type: 'symlink', linkname: '/nowhere' } },
        { header: { name: 'dir/.wh.gone' } },
      ]),
    );
  });

  it('rebuilds GNU tar archives (gnu, pax and ustar formats) byte for byte', async () => {
    const src = freshDir('gnusrc');
    mkdirSync(join(src, 'sub', 'x'.repeat(95)), { recursive: true });
    writeFileSync(join(src, 'sub', 'x'.repeat(95), 'y'.repeat(110)), 'deep file');
    writeFileSync(join(src, 'file'), Buffer.alloc(70_000, 'q'));
    writeFileSync(join(src, 'odd'), 'seven b');
    linkSync(join(src, 'file'), join(src, 'hardlink'));
    symlinkSync('file', join(src, 'symlink'));
    symlinkSync('/'.concat('z'.repeat(130)), join(src, 'longtarget'));
    utimesSync(join(src, 'odd'), 1_600_000_000.123456, 1_600_000_000.654321);
    writeFileSync(join(src, 'sub', 'x'.repeat(95), 'short'), 'needs the ustar prefix field');
    for (const format of ['gnu', 'pax', 'ustar']) {
      // ustar cannot hold names over 100+155 bytes or link targets over 100
      const excludes = format === 'ustar' ? ['--exclude=longtarget', `--exclude=${'y'.repeat(110)}`] : [];
      await assertReplayIdentical(gnuTar([`--format=${format}`, ...excludes, '-cf', '-', '.'], src));
    }
  });

  it('rebuilds archives that overwrite or delete their own files', async () => {
    await assertReplayIdentical(
      tarOf(
        rawFile('a', 'first version'),
        rawFile('keep', 'kept'),
        ustarHeader({ name: 'b', type: '1', linkname: 'a' }),
        rawFile('a', 'second version'),
        ustarHeader({ name: 'd/', type: '5' }),
        rawFile('d/f', 'inside d'),
        ustarHeader({ name: 'd', type: '2', linkname: 'keep' }),
        rawFile('.wh.ignored-content', 'whiteouts may carry bytes'),
      ),
    );
    for (const format of ['overlay', 'delete'] as const) {
      await assertReplayIdentical(tarOf(rawFile('x/f', 'data'), rawFile('x/.wh..wh..opq', ''), rawFile('.wh.x', '')), format);
    }
  });

  it('keeps trailing bytes after the end-of-archive blocks', async () => {
    await assertReplayIdentical(Buffer.concat([rawFile('a', 'x'), Buffer.alloc(1024), Buffer.alloc(9216), Buffer.from('junk')]));
  });
});

// ------------------------------------------------------------------ whiteouts

describe('whiteouts', () => {
  const layer = () =>
    tarOf(
      ustarHeader({ name: 'etc/', type: '5' }),
      rawFile('etc/.wh.passwd', ''),
      ustarHeader({ name: 'opaque/', type: '5' }),
      rawFile('opaque/.wh..wh..opq', ''),
      rawFile('opaque/new', 'new'),
      rawFile('deep/er/.wh.gone', ''),
    );

  it('overlay: char 0/0 devices and trusted.overlay.opaque', async () => {
    const { targetDir } = await apply(layer(), 'overlay');
    const wh = lstatSync(join(targetDir, 'etc/passwd'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.ok(lstatSync(join(targetDir, 'deep/er/gone')).isCharacterDevice());
    assert.equal(xattr(join(targetDir, 'opaque'), 'trusted.overlay.opaque'), 'y');
    assert.equal(readFileSync(join(targetDir, 'opaque/new'), 'utf8'), 'new');
    assert.ok(!existsSync(join(targetDir, 'etc/.wh.passwd')));
  });

  it('overlay-rootless: user.overlay.opaque', async () => {
    const { targetDir } = await apply(layer(), 'overlay-rootless');
    assert.ok(lstatSync(join(targetDir, 'etc/passwd')).isCharacterDevice());
    assert.equal(xattr(join(targetDir, 'opaque'), 'user.overlay.opaque'), 'y');
    assert.equal(xattr(join(targetDir, 'opaque'), 'trusted.overlay.opaque'), undefined);
  });

  it('overlay: a whiteout never hides an entry of the same layer', async () => {
    const { targetDir } = await apply(
      tarOf(rawFile('f', 'mine'), rawFile('.wh.f', ''), rawFile('.wh.d', ''), ustarHeader({ name: 'd/', type: '5' })),
      'overlay',
    );
    assert.equal(readFileSync(join(targetDir, 'f'), 'utf8'), 'mine');
    assert.ok(lstatSync(join(targetDir, 'd')).isDirectory());
    assert.equal(xattr(join(targetDir, 'd'), 'trusted.overlay.opaque'), 'y', 'a dir replacing a whiteout hides the lower one');
  });

  it('delete (vfs): removes lower files and the lower children of opaque dirs', async () => {
    const lower = await packTar([
      { header: { name: 'etc/passwd' }, content: 'root' },
      { header: { name: 'etc/group' }, content: 'root' },
      { header: { name: 'opaque/old1' }, content: 'old' },
      { header: { name: 'opaque/sub/old2' }, content: 'old' },
      { header: { name: 'opaque/sub/keep-dir-old' }, content: 'old' },
      { header: { name: 'late/old' }, content: 'old' },
      { header: { name: 'late/sub/old' }, content: 'old' },
      { header: { name: 'tree/a/b/c' }, content: 'old' },
    ]);
    const first = await apply(lower, 'delete');
    const upper = tarOf(
      rawFile('etc/.wh.passwd', ''),
      rawFile('.wh.tree', ''),
      rawFile('.wh.missing/.wh.nothing', ''),
      rawFile('opaque/.wh..wh..opq', ''),
      rawFile('opaque/new', 'new'),
      // the marker may come after this layer's own entries: they must survive
      rawFile('late/mine', 'mine'),
      rawFile('late/sub/mine', 'mine'),
      rawFile('late/.wh..wh..opq', ''),
    );
    const targetDir = first.targetDir;
    const tarSplitPath = join(first.dir, 'upper.tarsplit.gz');
    await applyLayerTar(Readable.from([upper]), { targetDir, tarSplitPath, whiteoutFormat: 'delete', chown: true });
    const list = (p: string) => readdirSync(join(targetDir, p)).sort();
    assert.deepEqual(list('etc'), ['group']);
    assert.deepEqual(list('.'), ['etc', 'late', 'opaque']);
    assert.deepEqual(list('opaque'), ['new']);
    assert.deepEqual(list('late'), ['mine', 'sub']);
    assert.deepEqual(list('late/sub'), ['mine']);
    const replayed = await collect(replayTarSplit(targetDir, tarSplitPath));
    assert.equal(sha256(replayed), sha256(upper));
  });
});

// ------------------------------------------------------------------ hostile input

describe('hostile layer tars', () => {
  let sentinel = '';
  before(() => {
    sentinel = freshDir('sentinel');
    writeFileSync(join(sentinel, 'file'), 'untouched');
    mkdirSync(join(sentinel, 'sub'));
  });

  async function applyHostile(tar: Buffer) {
    const dir = freshDir('hostile');
    const beforeSentinel = snapshot(sentinel);
    const beforeBase = readdirSync(scratch.base).sort();
    const outcome = await applyLayerTar(Readable.from([tar]), {
      targetDir: join(dir, 'diff'),
      tarSplitPath: join(dir, 'tarsplit.gz'),
      whiteoutFormat: 'overlay',
      chown: true,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.deepEqual(snapshot(sentinel), beforeSentinel, 'nothing outside targetDir changed');
    assert.deepEqual(readdirSync(scratch.base).sort(), beforeBase);
    assert.deepEqual(readdirSync(dir).sort().filter((n) => n !== 'tarsplit.gz'), ['diff']);
    return { targetDir: join(dir, 'diff'), error: outcome };
  }

  const rel = () => sentinel.slice(1); // the sentinel path without its leading slash

  for (const [label, build, pattern] of [
    ['../escape', () => tarOf(rawFile('../escape', 'x')), /invalid layer tar: entry "\.\.\/escape" escapes the layer root/],
    ['/../../escape', () => tarOf(rawFile('/../../escape', 'x')), /entry "\/\.\.\/\.\.\/escape" escapes the layer root/],
    ['a/../../escape', () => tarOf(rawFile('a/../../escape', 'x')), /escapes the layer root/],
    ['a hardlink to ../../', () => tarOf(ustarHeader({ name: 'h', type: '1', linkname: '../../etc/passwd' })), /hardlink target "\.\.\/\.\.\/etc\/passwd" escapes the layer root/],
    ['a hardlink to an absolute outside file', () => tarOf(ustarHeader({ name: 'h', type: '1', linkname: `${sentinel}/file` })), /not in the layer/],
    ['a hardlink through a symlink to /', () => tarOf(ustarHeader({ name: 'evil', type: '2', linkname: '/' }), ustarHeader({ name: 'h', type: '1', linkname: `evil/${rel()}/file` })), /not in the layer/],
    ['a hardlink to a directory', () => tarOf(ustarHeader({ name: 'd/', type: '5' }), ustarHeader({ name: 'h', type: '1', linkname: 'd' })), /points at a directory/],
    ['a symlink loop', () => tarOf(ustarHeader({ name: 'a', type: '2', linkname: 'b' }), ustarHeader({ name: 'b', type: '2', linkname: 'a' }), rawFile('a/x', 'x')), /too many levels of symbolic links/],
    ['a file as a parent', () => tarOf(rawFile('f', 'x'), rawFile('f/x', 'x')), /a parent of entry "f\/x" is not a directory/],
    ['a bad checksum', () => { const b = ustarHeader({ name: 'x' }); b[10] = 1; return tarOf(b); }, /bad header checksum/],
    ['a truncated archive', () => rawFile('file', 'y'.repeat(5000)).subarray(0, 3000), /truncated archive/],
    ['an absurd size', () => tarOf(ustarHeader({ name: 'big', size: 0o77777777777 })), /truncated archive: entry "big" declares 8589934591 bytes/],
    ['a name with NUL', () => tarOf(paxHeader({ path: `ok\0${sentinel}/file` }), rawFile('x', 'data')), /NUL byte in its name/],
    ['an unsupported type', () => tarOf(ustarHeader({ name: 'v', type: 'V' })), /unsupported type 'V'/],
  ] as const) {
    it(`rejects ${label}`, async () => {
      const { error } = await applyHostile(build());
      assert.ok(error, 'rejected');
      isBadInput(pattern)(error);
    });
  }

  it('keeps a file written through `evil -> /` inside targetDir', async () => {
    const { targetDir, error } = await applyHostile(
      tarOf(ustarHeader({ name: 'evil', type: '2', linkname: '/' }), rawFile(`evil/${rel()}/file`, 'pwned'), rawFile(`evil/${rel()}/new`, 'pwned')),
    );
    assert.equal(error, undefined);
    assert.equal(readFileSync(join(targetDir, rel(), 'file'), 'utf8'), 'pwned');
    assert.equal(readFileSync(join(sentinel, 'file'), 'utf8'), 'untouched');
  });

  it('refuses a file written through a symlink that climbs out of the layer (`evil -> ../../..`)', async () => {
    const { error } = await applyHostile(
      tarOf(ustarHeader({ name: 'a/evil', type: '2', linkname: '../../..' }), rawFile(`a/evil/${rel()}/new`, 'pwned')),
    );
    assert.ok(error instanceof BadInputError, String(error));
    assert.match(error.message, /symlink that points outside the layer/);
    assert.equal(readFileSync(join(sentinel, 'file'), 'utf8'), 'untouched');
  });

  it('never writes through a final-component symlink', async () => {
    const { targetDir, error } = await applyHostile(
      tarOf(
        ustarHeader({ name: 'link', type: '2', linkname: `${sentinel}/file` }),
        rawFile('link', 'pwned'),
        ustarHeader({ name: 'dlink', type: '2', linkname: `${sentinel}/sub` }),
        ustarHeader({ name: 'dlink/', type: '5', mode: 0o777 }),
        ustarHeader({ name: 'hl', type: '2', linkname: `${sentinel}/file` }),
        ustarHeader({ name: 'hard', type: '1', linkname: 'hl' }),
        ustarHeader({ name: 'dev', type: '2', linkname: `${sentinel}/dev` }),
        ustarHeader({ name: 'dev', type: '6' }),
      ),
    );
    assert.equal(error, undefined);
    assert.ok(lstatSync(join(targetDir, 'link')).isFile());
    assert.ok(lstatSync(join(targetDir, 'dlink')).isDirectory());
    assert.ok(lstatSync(join(targetDir, 'hard')).isSymbolicLink(), 'a hardlink to a symlink is another symlink');
    assert.ok(lstatSync(join(targetDir, 'dev')).isFIFO());
  });

  it('ignores whiteouts aimed outside through symlinks', async () => {
    const { error } = await applyHostile(
      tarOf(ustarHeader({ name: 'evil', type: '2', linkname: sentinel }), rawFile('evil/.wh.file', ''), rawFile('evil/.wh..wh..opq', '')),
    );
    assert.equal(error, undefined);
  });
});

// ------------------------------------------------------------------ decompression

describe('decompressStream', () => {
  const payload = Buffer.concat([Buffer.from('layer bytes '), Buffer.alloc(300_000, 'a')]);

  it('passes plain data through, including tiny inputs', async () => {
    for (const data of [payload, Buffer.from('ab'), Buffer.alloc(0)]) {
      const { stream, compression } = await decompressStream(chunked(data, [1, 3, 5000]));
      assert.equal(compression, 'none');
      assert.equal(sha256(await collect(stream)), sha256(data));
    }
  });

  it('gunzips', async () => {
    const { stream, compression } = await decompressStream(chunked(gzipSync(payload), [1, 2, 1000]));
    assert.equal(compression, 'gzip');
    assert.equal(sha256(await collect(stream)), sha256(payload));
  });

  it('releases each compressed chunk once it is decompressed, so its memory can be filled again', async () => {
    const data = randomBytes(600_000);
    for (const [compressed, kind] of [
      [gzipSync(data), 'gzip'],
      [execFileSync('zstd', ['-c', '-q'], { input: data }), 'zstd'],
    ] as const) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < compressed.length; at += 16_384) chunks.push(Buffer.from(compressed.subarray(at, at + 16_384)));
      const released = new Set<Buffer>();
      // Overwritten at once, as the sender reuses it: a chunk released too early corrupts the output.
      const release = (chunk: Buffer): void => {
        released.add(chunk);
        chunk.fill(0x55);
      };
      const { stream, compression } = await decompressStream(Readable.from(chunks, { objectMode: true }), { release });
      assert.equal(compression, kind);
      assert.equal(sha256(await collect(stream)), sha256(data));
      assert.equal(released.size, chunks.length, kind);
    }
    const plain: Buffer[] = [];
    const { stream } = await decompressStream(chunked(data, [5000]), { release: (chunk) => plain.push(chunk) });
    assert.equal(sha256(await collect(stream)), sha256(data));
    assert.deepEqual(plain, [], 'data passed through is never released');
  });

  it('decompresses zstd with the zstd program', async () => {
    const compressed = execFileSync('zstd', ['-c', '-q'], { input: payload });
    const { stream, compression } = await decompressStream(chunked(compressed, [3, 4096]));
    assert.equal(compression, 'zstd');
    assert.equal(sha256(await collect(stream)), sha256(payload));
  });

  it('reports corrupt gzip and zstd data as bad input', async () => {
    const gz = gzipSync(payload);
    gz.fill(0x55, 20, 60);
    await assert.rejects(decompressStream(Readable.from([gz])).then((r) => collect(r.stream)), isBadInput(/^invalid gzip data: /));
    const truncatedGz = gzipSync(payload).subarray(0, 100);
    await assert.rejects(decompressStream(Readable.from([truncatedGz])).then((r) => collect(r.stream)), isBadInput(/^invalid gzip data: /));
    const zst = execFileSync('zstd', ['-c', '-q'], { input: payload });
    const badZst = Buffer.concat([zst.subarray(0, 8), Buffer.alloc(200, 0x77)]);
    await assert.rejects(decompressStream(Readable.from([badZst])).then((r) => collect(r.stream)), isBadInput(/^invalid zstd data: /));
  });

  it('passes input stream errors through unchanged', async () => {
    const failing = new Readable({ read() {} });
    failing.push(gzipSync(payload).subarray(0, 1000));
    setImmediate(() => failing.destroy(new Error('connection reset')));
    await assert.rejects(decompressStream(failing).then((r) => collect(r.stream)), /connection reset/);
  });

  it('feeds applyLayerTar end to end', async () => {
    const tar = await packTar([{ header: { name: 'f' }, content: 'compressed content' }]);
    const { stream } = await decompressStream(Readable.from([gzipSync(tar)]));
    const dir = freshDir('e2e');
    const result = await applyLayerTar(stream, { targetDir: join(dir, 'diff'), tarSplitPath: join(dir, 'ts.gz'), whiteoutFormat: 'overlay', chown: true });
    assert.equal(result.diffId, `sha256:${sha256(tar)}`);
    assert.equal(readFileSync(join(dir, 'diff/f'), 'utf8'), 'compressed content');
  });
});
