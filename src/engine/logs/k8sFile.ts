/**
 * Reader for the container logs conmon writes with `--log-path k8s-file:PATH` (the CRI log format):
 *
 *   2026-11-23T14:35:47.165819597+05:30 stdout P abc
 *   2026-11-23T14:35:47.367205916+05:30 stdout F def
 *
 * conmon writes one entry per read from the container's pipe: F when the chunk ended a line, P when
 * it did not (no newline yet, or its 8 KiB buffer filled). A line of output is therefore zero or more
 * P entries of one stream and then an F entry of the same stream, possibly with entries of the other
 * stream in between. The time is local time with its offset and always nine fractional digits.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { parseGoDuration } from '../../util/goDuration.js';

export interface LogEntry {
  time: Date;
  /** the timestamp text exactly as in the file */
  timeText: string;
  stream: 'stdout' | 'stderr';
  /** text of the whole original line (partials joined), without the trailing newline */
  text: string;
  /** false when the line ended without a newline (the output's last partial) */
  complete: boolean;
}

export interface ReadLogOptions {
  /** only lines after this time (exclusive, as podman) */
  since?: Date;
  /** only lines before this time (exclusive, as podman) */
  until?: Date;
  /** only the last N lines (like podman --tail N); undefined or negative = all */
  tail?: number;
  /** keep reading new lines as conmon appends them, until `stopped` resolves; then drain what is left and end */
  follow?: boolean;
  stopped?: Promise<void>;
}

type Stream = LogEntry['stream'];

interface Stamp {
  timeText: string;
  ms: number;
  /** nanoseconds below the millisecond: a Date drops them, but since/until compare with them as podman does */
  subMs: number;
}

/** One entry of the file; its text is `buf` from `textStart` to `textEnd`, and `buf` may be a read buffer that is reused. */
interface Part extends Stamp {
  stream: Stream;
  partial: boolean;
  buf: Buffer;
  textStart: number;
  textEnd: number;
}

/** A line of output not yet decoded: its first part's time and the bytes of all its parts, in order. */
interface RawLine {
  head: Stamp;
  stream: Stream;
  parts: Buffer[];
  complete: boolean;
}

type Keep = (s: Stamp) => boolean;

const NL = 0x0a;
const SPACE = 0x20;
const TAG_P = 0x50;
const TAG_F = 0x46;
const READ_CHUNK = 128 << 10;
const TAIL_CHUNK = 64 << 10;
/** conmon never writes more than ~8 KiB of text per entry; a longer "line" is garbage and is skipped. */
const MAX_LINE = 1 << 20;
/** How far --tail keeps reading back for a stream it has not met yet (see readTail). */
const TAIL_LOOKBACK = 1 << 20;
const POLL_MS = 500;
const EMPTY = Buffer.alloc(0);

/** Reads a k8s-file log. A missing file yields nothing. A malformed line is skipped (never throws for bad content). */
export async function* readK8sLog(path: string, opts: ReadLogOptions = {}): AsyncGenerator<LogEntry> {
  const follow = opts.follow === true;
  const keep = timeFilter(opts.since, opts.until);
  const reader = new ForwardReader(path, keep, follow);
  try {
    if (opts.tail !== undefined && opts.tail >= 0) {
      const tail = await readTail(path, opts.tail, follow);
      if (tail) {
        for (const line of tail.lines) {
          // When following, a line the output has not finished yet may still be continued.
          if (follow && !line.complete) reader.joiner.resume(line);
          else if (keep(line.head)) yield toEntry(line);
        }
        reader.offset = tail.end;
      }
      if (!follow) return;
    }
    if (!follow) {
      for await (const batch of reader.read(true)) for (const e of batch) yield e;
      return;
    }

    let stopped = false;
    const waker = new Waker();
    const stop = (): void => {
      stopped = true;
      waker.wake();
    };
    opts.stopped?.then(stop, stop);
    const watcher = watchFile(path, waker.wake);
    try {
      for (;;) {
        const last = stopped;
        waker.take();
        for await (const batch of reader.read(last)) for (const e of batch) yield e;
        if (last) return;
        await waker.wait(POLL_MS);
      }
    } finally {
      watcher?.close();
      waker.cancel();
    }
  } finally {
    await reader.close();
  }
}

/**
 * How podman prints an entry: the text plus "\n" when complete; with timestamps, the time and a space
 * before it; with `prefix` (the container's name or short ID, for --names or several containers),
 * that and a space before everything.
 */
export function formatLogEntry(entry: LogEntry, opts: { timestamps?: boolean; prefix?: string }): string {
  let head = opts.prefix ? `${opts.prefix} ` : '';
  if (opts.timestamps) head += `${podmanTime(entry.timeText)} `;
  return head + entry.text + (entry.complete ? '\n' : '');
}

/** podman re-prints the time with Go's layout, which writes a zero offset as "Z". */
function podmanTime(text: string): string {
  return text.endsWith('+00:00') || text.endsWith('-00:00') ? `${text.slice(0, -6)}Z` : text;
}

/**
 * Parses podman's --since/--until values: RFC 3339 (with or without fractional seconds/zone), a date
 * `2006-01-02` (optionally with a zone), Unix seconds (with optional fraction), or a Go duration such as
 * `10m`, `1h30m`, `90s` meaning that long before `now`. A value without a zone is UTC, as in Go.
 * Throws an Error with a one-line message naming the value on bad input.
 */
export function parseLogTime(value: string, now: Date = new Date()): Date {
  const t = parseDateTime(value, false);
  let ms: number | undefined;
  if (t) ms = t.ms;
  else if (UNIX_SECONDS.test(value)) ms = Math.round(Number(value) * 1000);
  else {
    const nanos = parseGoDuration(value);
    if (nanos !== null) ms = now.getTime() - nanos / 1e6;
  }
  const date = new Date(ms ?? NaN);
  if (Number.isNaN(date.getTime())) {
    throw new Error(
      `invalid time ${JSON.stringify(value)}: expected RFC 3339 (2006-01-02T15:04:05Z), a date (2006-01-02), Unix seconds or a duration such as 10m`,
    );
  }
  return date;
}

const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?)?(Z|[+-]\d\d:\d\d)?$/;
const UNIX_SECONDS = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

type Instant = Omit<Stamp, 'timeText'>;

/** `2006-01-02[T15:04:05[.999999999]][Z07:00]`; a log entry's time must have the clock and the zone. */
function parseDateTime(text: string, logEntry: boolean): Instant | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (logEntry && (h === undefined || zone === undefined)) return undefined;
  let offsetMin = 0;
  if (zone !== undefined && zone !== 'Z') {
    const zh = Number(zone.slice(1, 3)), zm = Number(zone.slice(4));
    if (zh > 23 || zm > 59) return undefined;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  const nanos = frac === undefined ? 0 : Number(frac.slice(0, 9).padEnd(9, '0'));
  return instant(Number(y), Number(mo), Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), nanos, offsetMin);
}

/**
 * conmon's own form, `2006-01-02T15:04:05.000000000+07:00`, without a regular expression: it is on
 * every line, and this is most of the cost of reading a log.
 */
function parseConmonTime(t: string): Instant | undefined {
  if (t.length !== 35) return undefined;
  const sign = t.charCodeAt(29);
  if (
    t.charCodeAt(4) !== 0x2d || t.charCodeAt(7) !== 0x2d || t.charCodeAt(10) !== 0x54 || t.charCodeAt(13) !== 0x3a ||
    t.charCodeAt(16) !== 0x3a || t.charCodeAt(19) !== 0x2e || t.charCodeAt(32) !== 0x3a || (sign !== 0x2b && sign !== 0x2d)
  ) {
    return undefined;
  }
  const year = digits(t, 0, 4), month = digits(t, 5, 7), day = digits(t, 8, 10);
  const hour = digits(t, 11, 13), min = digits(t, 14, 16), sec = digits(t, 17, 19);
  const nanos = digits(t, 20, 29), zh = digits(t, 30, 32), zm = digits(t, 33, 35);
  if ((year | month | day | hour | min | sec | nanos | zh | zm) < 0 || zh > 23 || zm > 59) return undefined;
  return instant(year, month, day, hour, min, sec, nanos, (sign === 0x2d ? -1 : 1) * (zh * 60 + zm));
}

/** The decimal number in t[from, to), or -1 if there is anything else. */
function digits(t: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = t.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function instant(year: number, month: number, day: number, hour: number, min: number, sec: number, nanos: number, offsetMin: number): Instant | undefined {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (monthDays === undefined || day < 1 || day > monthDays || hour > 23 || min > 59 || sec > 59) return undefined;
  let ms = Date.UTC(year, month - 1, day, hour, min, sec);
  if (year < 100) ms = new Date(ms).setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  return { ms: ms - offsetMin * 60_000 + Math.floor(nanos / 1e6), subMs: nanos % 1e6 };
}

function timeFilter(since: Date | undefined, until: Date | undefined): Keep {
  const from = since?.getTime();
  const to = until?.getTime();
  return (s) =>
    (from === undefined || s.ms > from || (s.ms === from && s.subMs > 0)) && (to === undefined || s.ms < to);
}

/** `<time> <stdout|stderr> <P|F> <text>` between start and end (the newline excluded). */
function parseEntry(buf: Buffer, start: number, end: number): Part | undefined {
  const sp = buf.indexOf(SPACE, start);
  if (sp < 0 || sp + 10 > end) return undefined;
  const tag = buf[sp + 8];
  if (buf[sp + 7] !== SPACE || buf[sp + 9] !== SPACE || (tag !== TAG_P && tag !== TAG_F)) return undefined;
  const stream = streamAt(buf, sp + 1);
  if (!stream) return undefined;
  const timeText = buf.toString('latin1', start, sp);
  const t = parseConmonTime(timeText) ?? parseDateTime(timeText, true);
  if (!t) return undefined;
  return { timeText, ms: t.ms, subMs: t.subMs, stream, partial: tag === TAG_P, buf, textStart: sp + 10, textEnd: end };
}

function streamAt(buf: Buffer, i: number): Stream | undefined {
  if (buf[i] !== 0x73 || buf[i + 1] !== 0x74 || buf[i + 2] !== 0x64) return undefined; // "std"
  const a = buf[i + 3], b = buf[i + 4], c = buf[i + 5];
  if (a === 0x6f && b === 0x75 && c === 0x74) return 'stdout';
  if (a === 0x65 && b === 0x72 && c === 0x72) return 'stderr';
  return undefined;
}

function partText(p: Part): Buffer {
  return p.buf.subarray(p.textStart, p.textEnd);
}

function toEntry(line: RawLine): LogEntry {
  const text = line.parts.length === 1 ? line.parts[0]!.toString() : Buffer.concat(line.parts).toString();
  return { time: new Date(line.head.ms), timeText: line.head.timeText, stream: line.stream, text, complete: line.complete };
}

/**
 * Joins P entries with the rest of their line, reading forward. A line is emitted when its F entry
 * arrives (so a stderr line finished in the middle of a stdout line comes first); lines the output
 * never finished come out at the end, in the order they started.
 */
class Joiner {
  private readonly open = new Map<Stream, RawLine>();

  constructor(private readonly keep: Keep) {}

  add(p: Part, out: LogEntry[]): void {
    const line = this.open.get(p.stream);
    if (p.partial) {
      const text = Buffer.from(partText(p));
      if (line) line.parts.push(text);
      else this.open.set(p.stream, { head: p, stream: p.stream, parts: [text], complete: false });
    } else if (line) {
      this.open.delete(p.stream);
      line.parts.push(partText(p));
      line.complete = true;
      if (this.keep(line.head)) out.push(toEntry(line));
    } else if (this.keep(p)) {
      out.push({ time: new Date(p.ms), timeText: p.timeText, stream: p.stream, text: p.buf.toString('utf8', p.textStart, p.textEnd), complete: true });
    }
  }

  /** Continue an unfinished line that --tail found. */
  resume(line: RawLine): void {
    this.open.set(line.stream, { ...line, parts: [...line.parts] });
  }

  flush(out: LogEntry[]): void {
    // Map keeps insertion order, which is the order the lines started.
    for (const line of this.open.values()) if (this.keep(line.head)) out.push(toEntry(line));
    this.open.clear();
  }
}

/** Reads the file from an offset onwards, in big chunks, keeping a line cut by the chunk end for the next read. */
class ForwardReader {
  offset = 0;
  readonly joiner: Joiner;
  private fh: FileHandle | undefined;
  private ino = 0;
  private rest: Buffer | undefined;
  private skipping = false;
  private readonly buf = Buffer.allocUnsafe(READ_CHUNK);

  constructor(
    private readonly path: string,
    keep: Keep,
    private readonly follow: boolean,
  ) {
    this.joiner = new Joiner(keep);
  }

  /** Entries up to the current end of the file; with `final`, also a last line without "\n" and unfinished lines. */
  async *read(final: boolean): AsyncGenerator<LogEntry[]> {
    if (await this.ensureOpen()) {
      for (;;) {
        const { bytesRead } = await this.fh!.read(this.buf, 0, this.buf.length, this.offset);
        if (bytesRead === 0) {
          if (this.follow && (await this.reopened())) continue;
          break;
        }
        this.offset += bytesRead;
        const out: LogEntry[] = [];
        this.split(this.buf.subarray(0, bytesRead), out);
        if (out.length > 0) yield out;
      }
    }
    if (final) {
      const out: LogEntry[] = [];
      if (this.rest && !this.skipping) this.line(this.rest, 0, this.rest.length, out);
      this.rest = undefined;
      this.joiner.flush(out);
      if (out.length > 0) yield out;
    }
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  private split(data: Buffer, out: LogEntry[]): void {
    let start = 0;
    if (this.rest || this.skipping) {
      const nl = data.indexOf(NL);
      if (nl < 0) {
        if (!this.skipping) this.keepRest(data);
        return;
      }
      if (this.rest) {
        const line = Buffer.concat([this.rest, data.subarray(0, nl)]);
        this.line(line, 0, line.length, out);
      }
      this.rest = undefined;
      this.skipping = false;
      start = nl + 1;
    }
    for (let nl = data.indexOf(NL, start); nl >= 0; nl = data.indexOf(NL, start)) {
      this.line(data, start, nl, out);
      start = nl + 1;
    }
    if (start < data.length) this.keepRest(data.subarray(start));
  }

  private keepRest(bytes: Buffer): void {
    this.rest = this.rest ? Buffer.concat([this.rest, bytes]) : Buffer.from(bytes);
    if (this.rest.length > MAX_LINE) {
      this.rest = undefined;
      this.skipping = true;
    }
  }

  private line(buf: Buffer, start: number, end: number, out: LogEntry[]): void {
    const part = end > start ? parseEntry(buf, start, end) : undefined;
    if (part) this.joiner.add(part, out);
  }

  private async ensureOpen(): Promise<boolean> {
    if (this.fh) return true;
    try {
      this.fh = await open(this.path, 'r');
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    this.ino = (await this.fh.stat()).ino;
    return true;
  }

  /** After EOF while following: start over if the file was replaced or truncated (log rotation). */
  private async reopened(): Promise<boolean> {
    let st;
    try {
      st = await stat(this.path);
    } catch {
      return false;
    }
    if (st.ino === this.ino && st.size >= this.offset) return false;
    if (st.ino !== this.ino) await this.close();
    this.offset = 0;
    this.rest = undefined;
    this.skipping = false;
    return this.ensureOpen();
  }
}

/**
 * The last `n` lines, read backwards from the end; `end` is where following resumes. When following,
 * a last line without "\n" is still being written and is left to the follower.
 */
async function readTail(path: string, n: number, follow: boolean): Promise<{ lines: RawLine[]; end: number } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    const tail = new TailAssembler(n);
    let end = size;
    let first = true;
    const floor = { at: 0 };
    for await (const [line, offset] of linesBackward(fh, size, floor)) {
      if (first) {
        first = false;
        if (follow && line.length > 0) {
          end = offset;
          continue;
        }
      }
      if (n === 0) break;
      const part = line.length > 0 ? parseEntry(line, 0, line.length) : undefined;
      if (part) tail.add(part);
      if (!tail.enough()) {
        floor.at = 0;
        continue;
      }
      // A stream not met yet may still end with an unfinished line, which the forward reader would
      // print last; look for it a little further, but never through the whole file.
      if (tail.seenBoth()) break;
      if (floor.at === 0) floor.at = Math.max(offset - TAIL_LOOKBACK, 1);
    }
    return { lines: tail.result(), end };
  } finally {
    await fh.close();
  }
}

/**
 * The file's lines from the last to the first (the first one yielded is what follows the last "\n"), with
 * their offsets; ends early once reading has gone below `floor.at` (which the caller may raise while reading).
 */
async function* linesBackward(fh: FileHandle, size: number, floor: { at: number }): AsyncGenerator<[Buffer, number]> {
  let pos = size;
  let carry = EMPTY;
  let skipping = false; // inside a line longer than MAX_LINE
  while (pos > 0) {
    if (pos < floor.at) return;
    const len = Math.min(TAIL_CHUNK, pos);
    pos -= len;
    const buf = Buffer.allocUnsafe(len + carry.length);
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    if (bytesRead < len) buf.fill(0, bytesRead, len); // truncated under us: zeros are never a valid entry
    carry.copy(buf, len);
    let lineEnd = buf.length;
    let nl: number;
    while (lineEnd > 0 && (nl = buf.lastIndexOf(NL, lineEnd - 1)) >= 0) {
      if (skipping) skipping = false;
      else yield [buf.subarray(nl + 1, lineEnd), pos + nl + 1];
      lineEnd = nl;
    }
    carry = skipping ? EMPTY : buf.subarray(0, lineEnd);
    if (carry.length > MAX_LINE) {
      carry = EMPTY;
      skipping = true;
    }
  }
  if (!skipping) yield [carry, 0];
}

interface Assembling extends RawLine {
  /** complete lines are met from the last to the first: 0 is the last one; -1 for an unfinished line */
  order: number;
  /** how many entries from the end its first part is (grows as earlier parts are met) */
  firstFromEnd: number;
}

/**
 * Rebuilds lines from entries met backwards. Emission order (see Joiner) is complete lines in the order of
 * their F entry, then unfinished ones in the order they started; the last `n` of that are wanted.
 */
class TailAssembler {
  private readonly open = new Map<Stream, Assembling>();
  private readonly done: Assembling[] = [];
  private entries = 0;
  private completes = 0;
  private unfinished = 0;

  constructor(private readonly n: number) {}

  add(p: Part): void {
    const fromEnd = this.entries++;
    const line = this.open.get(p.stream);
    if (line && p.partial) {
      line.parts.push(partText(p));
      line.head = p;
      line.firstFromEnd = fromEnd;
      return;
    }
    // An F entry ends a new line (and so the previous line of its stream is whole); a P entry with
    // nothing after it in its stream is the output's unfinished last line.
    if (line) this.done.push(line);
    const order = p.partial ? -1 : this.completes++;
    if (p.partial) this.unfinished++;
    this.open.set(p.stream, { head: p, stream: p.stream, parts: [partText(p)], complete: !p.partial, order, firstFromEnd: fromEnd });
  }

  /** Whether the last n lines are all whole: no line still being assembled is among them. */
  enough(): boolean {
    if (this.completes + this.unfinished < this.n) return false;
    for (const line of this.open.values()) if (line.order < 0 || line.order + this.unfinished < this.n) return false;
    return true;
  }

  seenBoth(): boolean {
    return this.open.size === 2;
  }

  result(): RawLine[] {
    if (this.n === 0) return [];
    const all = [...this.done, ...this.open.values()];
    for (const line of all) line.parts.reverse();
    const complete = all.filter((l) => l.order >= 0).sort((a, b) => b.order - a.order);
    const unfinished = all.filter((l) => l.order < 0).sort((a, b) => b.firstFromEnd - a.firstFromEnd);
    return [...complete, ...unfinished].slice(-this.n);
  }
}

/** Wakes the follow loop on a file event, remembering one that came while it was reading. */
class Waker {
  private pending = false;
  private resolve: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  readonly wake = (): void => {
    this.pending = true;
    this.resolve?.();
  };

  /** Forget earlier wake-ups: call before reading. */
  take(): void {
    this.pending = false;
  }

  wait(ms: number): Promise<void> {
    if (this.pending) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(resolve, ms);
    }).finally(() => this.cancel());
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  }
}

/** Watches the directory rather than the file: the file may not exist yet, or be replaced on rotation. */
function watchFile(path: string, onChange: () => void): FSWatcher | undefined {
  const name = basename(path);
  try {
    const watcher = watch(dirname(path), (_event, file) => {
      if (file === null || file === name) onChange();
    });
    watcher.on('error', () => watcher.close()); // polling still runs
    return watcher;
  } catch {
    return undefined;
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
