/**
 * A streaming tar parser that keeps the raw bytes of every header block.
 *
 * Written by hand on purpose: layer storage needs the exact header bytes
 * (tar-split) to rebuild a layer tar byte-for-byte from the extracted files,
 * and no npm tar library exposes them (node-tar also drops symlinks in some
 * modes). The parser is push-style and synchronous so an extractor can do
 * sync fs writes straight from the input chunks without extra copies.
 *
 * Supported: ustar (with the prefix field), old GNU, PAX `x` records
 * (path, linkpath, size, uid, gid, uname, gname, mtime, atime,
 * SCHILY.xattr.*), GNU `L`/`K` long names; PAX `g` global headers are
 * skipped but their bytes kept. Numbers may be octal or base-256.
 */
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { BadInputError } from '../../util/errors.js';

export const BLOCK_SIZE = 512;
/** Upper bound for PAX and GNU long-name data, as in other tar readers. */
const MAX_META_SIZE = 1 << 20;

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo' | 'other';

export interface TarHeader {
  /** Entry path after PAX / GNU long-name / ustar-prefix overrides, as stored (not normalised). */
  name: string;
  linkname: string;
  type: TarEntryType;
  /** The raw typeflag character ('0', '5', 'S', ...); NUL is reported as '0'. */
  typeflag: string;
  /** Permission bits including setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Declared size (header or PAX). Only regular files carry that many content bytes. */
  size: number;
  /** Seconds since the epoch, fractional when PAX gave sub-second precision. */
  mtime: number;
  /** PAX atime when present. */
  atime?: number;
  devmajor: number;
  devminor: number;
  /** Every PAX record of the entry's `x` header(s), values decoded as UTF-8. */
  pax: ReadonlyMap<string, string>;
  /** SCHILY.xattr.* records with their exact binary values. */
  xattrs: ReadonlyMap<string, Buffer>;
}

export interface TarEntry {
  header: TarHeader;
  /** All raw blocks of this entry's header(s): PAX/GNU meta headers with their data, then the entry header. */
  rawHeader: Buffer;
  /** Bytes of content that follow the header (0 for header-only types whatever `size` says). */
  contentSize: number;
  /** Byte offset of the first raw header block in the archive. */
  offset: number;
}

/**
 * Callbacks of the push parser, called synchronously from `write`/`end`.
 * Content chunks, raw headers and padding may be views into the caller's
 * input chunks: they stay valid as long as those chunks are not reused,
 * which Node stream chunks never are.
 */
export interface TarEvents {
  entry(entry: TarEntry): void;
  content(chunk: Buffer): void;
  /** The raw padding after the content (0-511 bytes); called for every entry. */
  entryEnd(padding: Buffer): void;
  /** End-of-archive blocks and every byte after them, possibly in several calls. */
  trailer(chunk: Buffer): void;
}

type ParserState = 'header' | 'meta' | 'content' | 'padding' | 'trailer';

interface PendingMeta {
  pax: Map<string, Buffer>;
  longName?: string;
  longLink?: string;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

export class TarParser {
  private state: ParserState = 'header';
  private position = 0;
  private readonly headerBlock = Buffer.alloc(BLOCK_SIZE);
  private headerFill = 0;
  /** Raw meta header blocks (and their data) waiting for the entry they apply to. */
  private rawMeta: Buffer[] = [];
  private rawMetaOffset = -1;
  private meta: PendingMeta = { pax: new Map() };
  private metaType = '';
  private metaData: Buffer = Buffer.alloc(0);
  private metaFill = 0;
  private metaSize = 0;
  private contentLeft = 0;
  private paddingLeft = 0;
  private paddingParts: Buffer[] = [];
  private currentName = '';
  private currentSize = 0;

  constructor(private readonly events: TarEvents) {}

  /** Bytes consumed so far. */
  get bytesRead(): number {
    return this.position;
  }

  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case 'header':
          pos = this.readHeader(chunk, pos);
          break;
        case 'meta':
          pos = this.readMeta(chunk, pos);
          break;
        case 'content':
          pos = this.readContent(chunk, pos);
          break;
        case 'padding':
          pos = this.readPadding(chunk, pos);
          break;
        case 'trailer':
          this.events.trailer(chunk.subarray(pos));
          this.position += chunk.length - pos;
          pos = chunk.length;
          break;
      }
    }
  }

  /** Signals the end of input; throws BadInputError when the archive is truncated. */
  end(): void {
    switch (this.state) {
      case 'trailer':
        return;
      case 'header':
        if (this.headerFill > 0) throw truncated(`the input ends inside a header block at offset ${this.position}`);
        if (this.rawMeta.length > 0) throw truncated('the input ends after an extended header, before its entry');
        return; // no end-of-archive blocks: accepted, as other readers do
      case 'meta':
        throw truncated(`the input ends inside an extended header at offset ${this.position}`);
      case 'content':
        throw truncated(
          `entry ${JSON.stringify(this.currentName)} declares ${this.currentSize} bytes but the input ends after ${this.currentSize - this.contentLeft}`,
        );
      case 'padding':
        throw truncated(`the input ends inside the padding of entry ${JSON.stringify(this.currentName)}`);
    }
  }

  private readHeader(chunk: Buffer, pos: number): number {
    let block: Buffer;
    if (this.headerFill === 0 && chunk.length - pos >= BLOCK_SIZE) {
      block = chunk.subarray(pos, pos + BLOCK_SIZE);
      pos += BLOCK_SIZE;
    } else {
      const n = Math.min(BLOCK_SIZE - this.headerFill, chunk.length - pos);
      chunk.copy(this.headerBlock, this.headerFill, pos, pos + n);
      this.headerFill += n;
      pos += n;
      if (this.headerFill < BLOCK_SIZE) return pos;
      this.headerFill = 0;
      block = this.headerBlock;
    }
    const blockOffset = this.position;
    this.position += BLOCK_SIZE;
    this.handleHeaderBlock(block, blockOffset);
    return pos;
  }

  private handleHeaderBlock(block: Buffer, blockOffset: number): void {
    const sums = checksums(block);
    if (sums.unsigned === 0) {
      this.startTrailer(block);
      return;
    }
    const stored = parseNumber(block, 148, 8, 'checksum', blockOffset);
    if (stored !== sums.unsigned && stored !== sums.signed) {
      throw new BadInputError(`invalid layer tar: bad header checksum at offset ${blockOffset}`);
    }
    const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
    // Copy only blocks assembled in our reused buffer; other blocks are views of input chunks.
    const raw = block === this.headerBlock ? Buffer.from(block) : block;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      this.startMeta(typeflag, raw, block, blockOffset);
      return;
    }
    const header = this.buildHeader(block, typeflag, blockOffset, block[156] === 0);
    const offset = this.rawMeta.length > 0 ? this.rawMetaOffset : blockOffset;
    this.rawMeta.push(raw);
    const rawHeader = this.rawMeta.length === 1 ? raw : Buffer.concat(this.rawMeta);
    this.rawMeta = [];
    if (this.meta.pax.size > 0 || this.meta.longName !== undefined || this.meta.longLink !== undefined) {
      this.meta = { pax: new Map() };
    }
    const contentSize = hasContent(header.type) ? header.size : 0;
    this.currentName = header.name;
    this.currentSize = contentSize;
    this.events.entry({ header, rawHeader, contentSize, offset });
    this.contentLeft = contentSize;
    this.paddingLeft = paddingFor(contentSize);
    this.state = contentSize > 0 ? 'content' : 'padding';
    if (contentSize === 0 && this.paddingLeft === 0) this.finishEntry();
  }

  private startTrailer(zeroBlock: Buffer): void {
    this.state = 'trailer';
    const parts = [...this.rawMeta, zeroBlock === this.headerBlock ? Buffer.from(zeroBlock) : zeroBlock];
    this.rawMeta = [];
    this.events.trailer(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  }

  private startMeta(typeflag: string, raw: Buffer, block: Buffer, blockOffset: number): void {
    const size = parseNumber(block, 124, 12, 'size', blockOffset);
    if (size > MAX_META_SIZE) {
      throw new BadInputError(`invalid layer tar: extended header at offset ${blockOffset} is larger than ${MAX_META_SIZE} bytes`);
    }
    if (this.rawMeta.length === 0) this.rawMetaOffset = blockOffset;
    this.rawMeta.push(raw);
    this.metaType = typeflag;
    this.metaSize = size;
    this.metaData = Buffer.alloc(size + paddingFor(size));
    this.metaFill = 0;
    this.state = 'meta';
    if (this.metaData.length === 0) this.finishMeta();
  }

  private readMeta(chunk: Buffer, pos: number): number {
    const n = Math.min(this.metaData.length - this.metaFill, chunk.length - pos);
    chunk.copy(this.metaData, this.metaFill, pos, pos + n);
    this.metaFill += n;
    this.position += n;
    if (this.metaFill === this.metaData.length) this.finishMeta();
    return pos + n;
  }

  private finishMeta(): void {
    this.rawMeta.push(this.metaData);
    const data = this.metaData.subarray(0, this.metaSize);
    switch (this.metaType) {
      case 'x':
        for (const [key, value] of parsePaxRecords(data)) this.meta.pax.set(key, value);
        break;
      case 'L':
        this.meta.longName = cString(data, 'GNU long name');
        break;
      case 'K':
        this.meta.longLink = cString(data, 'GNU long link name');
        break;
      // 'g': global PAX headers are not applied; their raw bytes stay in rawMeta.
    }
    this.state = 'header';
  }

  private readContent(chunk: Buffer, pos: number): number {
    const n = Math.min(this.contentLeft, chunk.length - pos);
    this.events.content(chunk.subarray(pos, pos + n));
    this.contentLeft -= n;
    this.position += n;
    if (this.contentLeft === 0) {
      this.state = 'padding';
      if (this.paddingLeft === 0) this.finishEntry();
    }
    return pos + n;
  }

  private readPadding(chunk: Buffer, pos: number): number {
    const n = Math.min(this.paddingLeft, chunk.length - pos);
    this.paddingParts.push(chunk.subarray(pos, pos + n));
    this.paddingLeft -= n;
    this.position += n;
    if (this.paddingLeft === 0) this.finishEntry();
    return pos + n;
  }

  private finishEntry(): void {
    const parts = this.paddingParts;
    this.paddingParts = [];
    this.state = 'header';
    this.events.entryEnd(parts.length === 1 ? parts[0]! : parts.length === 0 ? NO_BYTES : Buffer.concat(parts));
  }

  private buildHeader(block: Buffer, typeflag: string, offset: number, nulTypeflag: boolean): TarHeader {
    const pax = this.meta.pax;
    const isUstar = block.toString('latin1', 257, 263) === 'ustar\0';
    let name = this.meta.longName ?? fieldString(block, 0, 100);
    if (this.meta.longName === undefined && isUstar) {
      const prefix = fieldString(block, 345, 155);
      if (prefix !== '') name = `${prefix}/${name}`;
    }
    name = paxString(pax, 'path') ?? name;
    const linkname = paxString(pax, 'linkpath') ?? this.meta.longLink ?? fieldString(block, 157, 100);
    let type: TarEntryType = TYPES[typeflag] ?? 'other';
    // Old archives mark directories only by a trailing slash on a NUL-typed entry.
    if (nulTypeflag && name.endsWith('/')) type = 'directory';
    const header: TarHeader = {
      name,
      linkname,
      type,
      typeflag,
      mode: parseNumber(block, 100, 8, 'mode', offset) & 0o7777,
      uid: paxInteger(pax, 'uid', offset) ?? parseNumber(block, 108, 8, 'uid', offset),
      gid: paxInteger(pax, 'gid', offset) ?? parseNumber(block, 116, 8, 'gid', offset),
      uname: paxString(pax, 'uname') ?? fieldString(block, 265, 32),
      gname: paxString(pax, 'gname') ?? fieldString(block, 297, 32),
      size: paxInteger(pax, 'size', offset) ?? parseNumber(block, 124, 12, 'size', offset),
      mtime: paxTime(pax, 'mtime', offset) ?? parseNumber(block, 136, 12, 'mtime', offset),
      devmajor: isUstar || block[257] !== 0 ? parseNumber(block, 329, 8, 'devmajor', offset) : 0,
      devminor: isUstar || block[257] !== 0 ? parseNumber(block, 337, 8, 'devminor', offset) : 0,
      pax: pax.size === 0 ? NO_PAX : decodePax(pax),
      xattrs: pax.size === 0 ? NO_XATTRS : xattrsOf(pax),
    };
    const atime = paxTime(pax, 'atime', offset);
    if (atime !== undefined) header.atime = atime;
    if (pax.has('GNU.sparse.major') || pax.has('GNU.sparse.size') || typeflag === 'S') {
      throw new BadInputError(`invalid layer tar: entry ${JSON.stringify(name)} is a sparse file, which is not supported`);
    }
    for (const [label, value] of [['name', name], ['link name', linkname]] as const) {
      if (value.includes('\0')) throw new BadInputError(`invalid layer tar: entry ${JSON.stringify(name)} has a NUL byte in its ${label}`);
    }
    return header;
  }
}

/** An event of `readTar`, in archive order. */
export type TarReadEvent =
  | { kind: 'entry'; entry: TarEntry }
  | { kind: 'content'; chunk: Buffer }
  | { kind: 'entryEnd'; padding: Buffer }
  | { kind: 'trailer'; chunk: Buffer };

/** Async-iteration front end of TarParser over a Readable of uncompressed tar bytes. */
export async function* readTar(input: Readable): AsyncGenerator<TarReadEvent> {
  let queue: TarReadEvent[] = [];
  const parser = new TarParser({
    entry: (entry) => queue.push({ kind: 'entry', entry }),
    content: (chunk) => queue.push({ kind: 'content', chunk }),
    entryEnd: (padding) => queue.push({ kind: 'entryEnd', padding }),
    trailer: (chunk) => queue.push({ kind: 'trailer', chunk }),
  });
  for await (const chunk of input) {
    parser.write(chunk as Buffer);
    const events = queue;
    queue = [];
    yield* events;
  }
  parser.end();
  yield* queue;
}

// ------------------------------------------------------------------ helpers

function truncated(detail: string): BadInputError {
  return new BadInputError(`invalid layer tar: truncated archive: ${detail}`);
}

function hasContent(type: TarEntryType): boolean {
  // Header-only types never carry content whatever their size field says.
  return type === 'file' || type === 'other';
}

export function paddingFor(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

/** Unsigned and signed sums of a header block with the checksum field read as spaces. */
function checksums(block: Buffer): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const b = block[i]!;
    unsigned += b;
    if (b > 127) signed += b - 256;
    else signed += b;
  }
  if (unsigned === 0) return { unsigned, signed };
  for (let i = 148; i < 156; i++) {
    const b = block[i]!;
    unsigned += 32 - b;
    signed += 32 - (b > 127 ? b - 256 : b);
  }
  return { unsigned, signed };
}

/** Parses an octal or base-256 numeric header field; rejects junk and negatives. */
function parseNumber(block: Buffer, start: number, length: number, field: string, offset: number): number {
  const first = block[start]!;
  if (first & 0x80) return parseBase256(block, start, length, field, offset);
  let end = start + length;
  let i = start;
  while (i < end && block[i] === 0x20) i++;
  while (end > i && (block[end - 1] === 0x20 || block[end - 1] === 0)) end--;
  let value = 0;
  for (; i < end; i++) {
    const digit = block[i]! - 0x30;
    if (digit < 0 || digit > 7) {
      throw new BadInputError(`invalid layer tar: invalid ${field} field in the header at offset ${offset}`);
    }
    value = value * 8 + digit;
  }
  if (!Number.isSafeInteger(value)) {
    throw new BadInputError(`invalid layer tar: ${field} field out of range in the header at offset ${offset}`);
  }
  return value;
}

function parseBase256(block: Buffer, start: number, length: number, field: string, offset: number): number {
  if (block[start]! & 0x40) {
    throw new BadInputError(`invalid layer tar: negative ${field} field in the header at offset ${offset}`);
  }
  let value = block[start]! & 0x3f;
  for (let i = start + 1; i < start + length; i++) {
    value = value * 256 + block[i]!;
    if (value > Number.MAX_SAFE_INTEGER) {
      throw new BadInputError(`invalid layer tar: ${field} field out of range in the header at offset ${offset}`);
    }
  }
  return value;
}

/** A NUL-terminated header field, decoded as UTF-8 when valid, else byte-per-char. */
function fieldString(block: Buffer, start: number, length: number): string {
  let end = block.indexOf(0, start);
  if (end < 0 || end > start + length) end = start + length;
  return decodeName(block.subarray(start, end));
}

export function decodeName(bytes: Buffer): string {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
  }
  return bytes.toString('latin1');
}

/** GNU long-name data: the name followed by NUL padding; a NUL inside the name is hostile. */
function cString(data: Buffer, what: string): string {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  const value = data.subarray(0, end);
  if (value.includes(0)) throw new BadInputError(`invalid layer tar: ${what} contains a NUL byte`);
  return decodeName(value);
}

/** Parses `<length> <key>=<value>\n` records. Values stay binary (xattrs). */
function parsePaxRecords(data: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the data with NULs
    const space = data.indexOf(0x20, pos);
    const lengthText = space > pos ? data.toString('latin1', pos, space) : '';
    const length = /^[0-9]{1,8}$/.test(lengthText) ? Number(lengthText) : NaN;
    const end = pos + length;
    if (!(length > space - pos + 1) || end > data.length || data[end - 1] !== 0x0a) {
      throw new BadInputError('invalid layer tar: malformed PAX extended header record');
    }
    const equals = data.indexOf(0x3d, space + 1);
    if (equals < 0 || equals >= end) throw new BadInputError('invalid layer tar: malformed PAX extended header record');
    const key = data.toString('utf8', space + 1, equals);
    records.set(key, data.subarray(equals + 1, end - 1));
    pos = end;
  }
  return records;
}

function paxString(pax: Map<string, Buffer>, key: string): string | undefined {
  const value = pax.get(key);
  if (value === undefined || value.length === 0) return undefined;
  return decodeName(value);
}

function paxInteger(pax: Map<string, Buffer>, key: string, offset: number): number | undefined {
  const text = paxString(pax, key);
  if (text === undefined) return undefined;
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new BadInputError(`invalid layer tar: invalid PAX ${key} ${JSON.stringify(text)} in the header at offset ${offset}`);
  }
  return value;
}

/** PAX times may be fractional; negative times (before 1970) are valid and kept. */
function paxTime(pax: Map<string, Buffer>, key: string, offset: number): number | undefined {
  const text = paxString(pax, key);
  if (text === undefined) return undefined;
  if (!/^-?[0-9]{1,15}(\.[0-9]*)?$/.test(text)) {
    throw new BadInputError(`invalid layer tar: invalid PAX ${key} ${JSON.stringify(text)} in the header at offset ${offset}`);
  }
  return Number(text);
}

function decodePax(pax: Map<string, Buffer>): Map<string, string> {
  const decoded = new Map<string, string>();
  for (const [key, value] of pax) decoded.set(key, value.toString('utf8'));
  return decoded;
}

const NO_BYTES = Buffer.alloc(0);
const NO_PAX: ReadonlyMap<string, string> = new Map();
const NO_XATTRS: ReadonlyMap<string, Buffer> = new Map();
const XATTR_PREFIX = 'SCHILY.xattr.';

function xattrsOf(pax: Map<string, Buffer>): Map<string, Buffer> {
  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of pax) {
    if (key.startsWith(XATTR_PREFIX) && key.length > XATTR_PREFIX.length) {
      xattrs.set(key.slice(XATTR_PREFIX.length), Buffer.from(value));
    }
  }
  return xattrs;
}
