import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, open, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  formatLogEntry,
  parseLogTime,
  readK8sLog,
  type LogEntry,
  type ReadLogOptions,
} from '../../src/engine/logs/k8sFile.js';

let dir: string;
let fileNo = 0;

before(async () => {
  dir = await mkdtemp('/var/tmp/tspod-k8s-log-');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A timestamp as conmon writes it: nine fractional digits and the local offset. */
function ts(sec: number, nanos = 0, zone = '+00:00'): string {
  return `2026-11-23T10:00:${String(sec).padStart(2, '0')}.${String(nanos).padStart(9, '0')}${zone}`;
}

function out(sec: number, tag: 'P' | 'F', text: string): string {
  return `${ts(sec)} stdout ${tag} ${text}\n`;
}

function err(sec: number, tag: 'P' | 'F', text: string): string {
  return `${ts(sec)} stderr ${tag} ${text}\n`;
}

async function logFile(content: string | Buffer): Promise<string> {
  const path = join(dir, `ctr-${fileNo++}.log`);
  await writeFile(path, content);
  return path;
}

async function collect(path: string, opts?: ReadLogOptions): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for await (const e of readK8sLog(path, opts)) entries.push(e);
  return entries;
}

/** "stream:text", with "…" for a line the output never finished. */
function lines(entries: LogEntry[]): string[] {
  return entries.map((e) => `${e.stream === 'stdout' ? 'out' : 'err'}:${e.text}${e.complete ? '' : '…'}`);
}

const at = (sec: number, nanos = 0): Date => new Date(Date.UTC(2026, 10, 23, 10, 0, sec) + Math.floor(nanos / 1e6));

describe('readK8sLog', () => {
  it('reads full lines with their time, stream and text (spaces and empty lines kept)', async () => {
    const path = await logFile(out(1, 'F', 'hello') + out(2, 'F', ' two  spaces ') + out(3, 'F', '') + err(4, 'F', 'oops'));
    const entries = await collect(path);
    assert.deepEqual(lines(entries), ['out:hello', 'out: two  spaces ', 'out:', 'err:oops']);
    assert.equal(entries[0]!.timeText, ts(1));
    assert.equal(entries[0]!.time.getTime(), at(1).getTime());
    assert.equal(entries.every((e) => e.complete), true);
  });

  it('joins P entries with the rest of their line and stamps it with the first part', async () => {
    const path = await logFile(out(1, 'P', 'abc') + out(2, 'P', 'def') + out(3, 'F', 'ghi') + out(4, 'F', 'next'));
    const entries = await collect(path);
    assert.deepEqual(lines(entries), ['out:abcdefghi', 'out:next']);
    assert.equal(entries[0]!.timeText, ts(1));
    assert.equal(entries[0]!.time.getTime(), at(1).getTime());
  });

  it('joins a line ended by an empty F entry, as conmon writes when the newline comes in a later read', async () => {
    const path = await logFile(out(1, 'P', 'x'.repeat(8192)) + out(1, 'P', 'y'.repeat(100)) + out(2, 'F', ''));
    const entries = await collect(path);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.text, 'x'.repeat(8192) + 'y'.repeat(100));
    assert.equal(entries[0]!.complete, true);
  });

  it('decodes UTF-8 split between two partial entries', async () => {
    const euro = Buffer.from('€');
    const content = Buffer.concat([
      Buffer.from(`${ts(1)} stdout P price `),
      euro.subarray(0, 1),
      Buffer.from(`\n${ts(1)} stdout F `),
      euro.subarray(1),
      Buffer.from('5\n'),
    ]);
    assert.deepEqual(lines(await collect(await logFile(content))), ['out:price €5']);
  });

  it('keeps stdout and stderr lines apart when their entries interleave, emitting each line when it ends', async () => {
    const path = await logFile(
      out(1, 'P', 'a1-') + err(2, 'F', 'e1') + err(3, 'P', 'e2-') + out(4, 'F', 'a2') + err(5, 'F', 'end') + out(6, 'F', 'b'),
    );
    const entries = await collect(path);
    assert.deepEqual(lines(entries), ['err:e1', 'out:a1-a2', 'err:e2-end', 'out:b']);
    assert.equal(entries[1]!.timeText, ts(1));
    assert.equal(entries[2]!.timeText, ts(3));
  });

  it('marks the output’s unfinished last line incomplete, in the order the unfinished lines started', async () => {
    const path = await logFile(out(1, 'F', 'done') + err(2, 'P', 'err-') + out(3, 'P', 'prompt> ') + err(4, 'P', 'more'));
    const entries = await collect(path);
    assert.deepEqual(lines(entries), ['out:done', 'err:err-more…', 'out:prompt> …']);
    assert.equal(formatLogEntry(entries[2]!, {}), 'prompt> ');
  });

  it('skips malformed lines without throwing', async () => {
    const content = [
      'garbage line here\n',
      '\n',
      out(1, 'F', 'good1'),
      `${ts(2)} stdout F\n`, // no separator before the (empty) text
      `${ts(3)} stdin F nope\n`,
      `${ts(4)} stdout X nope\n`,
      `${ts(5)}  stdout F nope\n`,
      `2026-11-23T10:00:06.000000000 stdout F no zone\n`,
      `2026-02-30T10:00:07.000000000+00:00 stdout F no such day\n`,
      `2026-11-23T25:00:08.000000000+00:00 stdout F no such hour\n`,
      `${ts(9)}\n`,
      Buffer.from([0, 1, 2, 0xff, 10]).toString('latin1'),
      out(10, 'F', 'good2'),
      'torn last line without newline',
    ].join('');
    const entries = await collect(await logFile(content));
    assert.deepEqual(lines(entries), ['out:good1', 'out:good2']);
  });

  it('accepts any fraction length and a Z zone, converting the offset', async () => {
    const path = await logFile(
      `2026-11-23T10:00:01Z stdout F a\n2026-11-23T15:30:02.5+05:30 stdout F b\n2026-11-23T05:00:03.123456789-05:00 stdout F c\n`,
    );
    const entries = await collect(path);
    assert.deepEqual(
      entries.map((e) => e.time.toISOString()),
      ['2026-11-23T10:00:01.000Z', '2026-11-23T10:00:02.500Z', '2026-11-23T10:00:03.123Z'],
    );
    assert.equal(entries[1]!.timeText, '2026-11-23T15:30:02.5+05:30');
  });

  it('treats a missing file as an empty log', async () => {
    const path = join(dir, 'no-such.log');
    assert.deepEqual(await collect(path), []);
    assert.deepEqual(await collect(path, { tail: 3 }), []);
    assert.deepEqual(await collect(path, { since: at(0) }), []);
  });

  it('reads an empty file, and a last line without newline when not following', async () => {
    assert.deepEqual(await collect(await logFile('')), []);
    const path = await logFile(out(1, 'F', 'a') + out(2, 'F', 'b').trimEnd());
    assert.deepEqual(lines(await collect(path)), ['out:a', 'out:b']);
    assert.deepEqual(lines(await collect(path, { tail: 1 })), ['out:b']);
  });

  it('streams lines across read chunks (a 3 MB log with long and split lines)', async () => {
    const parts: string[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      if (i % 1000 === 7) {
        parts.push(out(1, 'P', 'z'.repeat(8192)), err(1, 'F', `e${i}`), out(1, 'F', `tail${i}`));
        expected.push(`err:e${i}`, `out:${'z'.repeat(8192)}tail${i}`);
      } else {
        parts.push(out(1, 'F', `line ${i} ${'.'.repeat(i % 80)}`));
        expected.push(`out:line ${i} ${'.'.repeat(i % 80)}`);
      }
    }
    const path = await logFile(parts.join(''));
    assert.deepEqual(lines(await collect(path)), expected);
  });
});

describe('readK8sLog since/until', () => {
  const content =
    out(1, 'F', 'one') + out(2, 'P', 'two-') + err(3, 'F', 'e3') + out(4, 'F', 'two-end') + out(5, 'F', 'five') + out(6, 'F', 'six');

  it('keeps lines strictly after since and strictly before until, as podman does', async () => {
    const path = await logFile(content);
    assert.deepEqual(lines(await collect(path, { since: at(3) })), ['out:five', 'out:six']);
    assert.deepEqual(lines(await collect(path, { until: at(3) })), ['out:one', 'out:two-two-end']);
    assert.deepEqual(lines(await collect(path, { since: at(1), until: at(5) })), ['err:e3', 'out:two-two-end']);
    assert.deepEqual(lines(await collect(path, { since: at(9) })), []);
  });

  it('filters a joined line by the time of its first part', async () => {
    const path = await logFile(content);
    // "two-" starts at :02 and ends at :04
    assert.deepEqual(lines(await collect(path, { since: at(2, 500_000_000), until: at(4, 500_000_000) })), ['err:e3']);
    assert.deepEqual(lines(await collect(path, { since: at(1, 500_000_000), until: at(2, 500_000_000) })), ['out:two-two-end']);
  });

  it('compares the nanoseconds a Date cannot hold', async () => {
    const path = await logFile(`${ts(1, 0)} stdout F exact\n${ts(1, 400)} stdout F later\n${ts(1, 1_000_000)} stdout F ms\n`);
    assert.deepEqual(lines(await collect(path, { since: at(1) })), ['out:later', 'out:ms']);
    assert.deepEqual(lines(await collect(path, { until: at(1, 1_000_000) })), ['out:exact', 'out:later']);
  });
});

describe('readK8sLog tail', () => {
  const content = out(1, 'F', 'l1') + out(2, 'F', 'l2') + err(3, 'F', 'e3') + out(4, 'F', 'l4') + out(5, 'F', 'l5');

  it('returns the last N lines', async () => {
    const path = await logFile(content);
    assert.deepEqual(lines(await collect(path, { tail: 2 })), ['out:l4', 'out:l5']);
    assert.deepEqual(lines(await collect(path, { tail: 3 })), ['err:e3', 'out:l4', 'out:l5']);
  });

  it('returns everything when N exceeds the lines, nothing for 0, everything when negative', async () => {
    const path = await logFile(content);
    const all = ['out:l1', 'out:l2', 'err:e3', 'out:l4', 'out:l5'];
    assert.deepEqual(lines(await collect(path, { tail: 100 })), all);
    assert.deepEqual(lines(await collect(path, { tail: 5 })), all);
    assert.deepEqual(lines(await collect(path, { tail: 0 })), []);
    assert.deepEqual(lines(await collect(path, { tail: -1 })), all);
  });

  it('counts a joined line once and brings all of its parts, even from before other lines', async () => {
    const path = await logFile(
      out(1, 'F', 'old') + out(2, 'P', 'a-') + err(3, 'F', 'e1') + err(4, 'F', 'e2') + out(5, 'P', 'b-') + out(6, 'F', 'c'),
    );
    assert.deepEqual(lines(await collect(path, { tail: 1 })), ['out:a-b-c']);
    assert.deepEqual(lines(await collect(path, { tail: 2 })), ['err:e2', 'out:a-b-c']);
    assert.deepEqual(lines(await collect(path, { tail: 4 })), ['out:old', 'err:e1', 'err:e2', 'out:a-b-c']);
  });

  it('includes the unfinished last line, even behind lines of the other stream', async () => {
    const path = await logFile(out(1, 'F', 'x') + out(2, 'P', 'prompt> ') + err(3, 'F', 'e1') + err(4, 'F', 'e2'));
    const full = lines(await collect(path));
    assert.deepEqual(full, ['out:x', 'err:e1', 'err:e2', 'out:prompt> …']);
    assert.deepEqual(lines(await collect(path, { tail: 1 })), ['out:prompt> …']);
    assert.deepEqual(lines(await collect(path, { tail: 2 })), ['err:e2', 'out:prompt> …']);
  });

  it('applies since/until to the tail lines, as podman does', async () => {
    const path = await logFile(content);
    assert.deepEqual(lines(await collect(path, { tail: 3, since: at(3) })), ['out:l4', 'out:l5']);
    assert.deepEqual(lines(await collect(path, { tail: 3, until: at(2) })), []);
  });

  it('skips malformed lines and does not count them', async () => {
    const path = await logFile(out(1, 'F', 'a') + 'junk\n' + out(2, 'F', 'b') + `${ts(3)} stdout Q c\n` + '\n');
    assert.deepEqual(lines(await collect(path, { tail: 2 })), ['out:a', 'out:b']);
  });

  it('agrees with the end of a full read on a random multi-chunk log', async () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const parts: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const write = random() < 0.5 ? out : err;
      const text = random() < 0.02 ? 'w'.repeat(9000) : `${i} ${'-'.repeat(Math.floor(random() * 60))}`;
      parts.push(random() < 0.01 ? 'not an entry\n' : write(i % 60, random() < 0.3 ? 'P' : 'F', text));
    }
    parts.push(out(59, 'P', 'unfinished'));
    const path = await logFile(parts.join(''));
    const full = lines(await collect(path));
    assert.ok(full.length > 2000);
    for (const n of [1, 2, 3, 7, 50, 333, 1000, full.length - 1, full.length, full.length + 10]) {
      assert.deepEqual(lines(await collect(path, { tail: n })), full.slice(-n), `tail ${n}`);
    }
  });

  it('reads only the end of a large file', async () => {
    const path = join(dir, 'sparse.log');
    const fh = await open(path, 'w');
    await fh.truncate(1 << 30); // 1 GiB hole: reading it all would take seconds
    await fh.close();
    await appendFile(path, '\n' + out(1, 'F', 'a') + out(2, 'F', 'b') + out(3, 'F', 'c'));
    const started = performance.now();
    assert.deepEqual(lines(await collect(path, { tail: 2 })), ['out:b', 'out:c']);
    assert.ok(performance.now() - started < 2000, 'tail read the whole file');
    await rm(path);
  });
});

describe('readK8sLog follow', () => {
  /**
   * Pulls entries one at a time, so a test can append after seeing what came before. The follower is
   * stopped when the test ends, so a failing test cannot leave it running.
   */
  function follower(t: TestContext, path: string, opts: ReadLogOptions = {}) {
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const gen = readK8sLog(path, { ...opts, follow: true, stopped });
    t.after(stop);
    return {
      stop,
      async next(): Promise<string> {
        const r = await gen.next();
        assert.equal(r.done, false, 'the log ended early');
        return lines([r.value as LogEntry])[0]!;
      },
      async rest(): Promise<string[]> {
        const rest: LogEntry[] = [];
        for await (const e of gen) rest.push(e);
        return lines(rest);
      },
    };
  }

  it('reads what is there, then lines as they are appended, until stopped', { timeout: 10_000 }, async (t) => {
    const path = await logFile(out(1, 'F', 'before'));
    const f = follower(t, path);
    assert.equal(await f.next(), 'out:before');
    await appendFile(path, out(2, 'F', 'appended'));
    assert.equal(await f.next(), 'out:appended');

    // A partial entry and the rest of its line, in separate writes.
    await appendFile(path, out(3, 'P', 'part-'));
    await appendFile(path, err(4, 'F', 'between'));
    assert.equal(await f.next(), 'err:between');
    await appendFile(path, out(5, 'F', 'end'));
    assert.equal(await f.next(), 'out:part-end');

    // An entry written in two pieces: the reader sees the first piece (it read the stderr line in the
    // same write) and must wait for the rest instead of emitting half an entry.
    const line = out(6, 'F', 'written in two pieces');
    await appendFile(path, err(6, 'F', 'marker') + line.slice(0, 30));
    assert.equal(await f.next(), 'err:marker');
    await appendFile(path, line.slice(30));
    assert.equal(await f.next(), 'out:written in two pieces');

    // Lines written just before the stop, and an unfinished one, still come out.
    await appendFile(path, out(7, 'F', 'last') + out(8, 'P', 'no newline'));
    f.stop();
    assert.deepEqual(await f.rest(), ['out:last', 'out:no newline…']);
  });

  it('waits for a file that does not exist yet', { timeout: 10_000 }, async (t) => {
    const path = join(dir, `late-${fileNo++}.log`);
    const f = follower(t, path);
    const first = f.next();
    await writeFile(path, out(1, 'F', 'hello'));
    assert.equal(await first, 'out:hello');
    await appendFile(path, out(2, 'F', 'bye'));
    f.stop();
    assert.deepEqual(await f.rest(), ['out:bye']);
  });

  it('with tail, starts from the last lines and continues an unfinished one', { timeout: 10_000 }, async (t) => {
    const path = await logFile(out(1, 'F', 'old') + out(2, 'F', 'recent') + out(3, 'P', 'half-'));
    const f = follower(t, path, { tail: 2 });
    assert.equal(await f.next(), 'out:recent');
    await appendFile(path, out(4, 'F', 'done') + out(5, 'F', 'new'));
    assert.equal(await f.next(), 'out:half-done');
    assert.equal(await f.next(), 'out:new');
    f.stop();
    assert.deepEqual(await f.rest(), []);
  });

  it('with tail 0, skips what is there', { timeout: 10_000 }, async (t) => {
    const path = await logFile(out(1, 'F', 'old') + out(2, 'P', 'unfinished'));
    const f = follower(t, path, { tail: 0 });
    f.stop();
    assert.deepEqual(await f.rest(), []);
  });

  it('releases its watcher and file when the consumer stops early', { timeout: 10_000 }, async () => {
    const path = await logFile(out(1, 'F', 'a') + out(2, 'F', 'b'));
    const watchers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
    const fdsOnLog = async (): Promise<number> => {
      let n = 0;
      for (const fd of await readdir('/proc/self/fd')) {
        if ((await readlink(`/proc/self/fd/${fd}`).catch(() => '')) === path) n++;
      }
      return n;
    };
    const watchersBefore = watchers();
    const seen: string[] = [];
    for await (const e of readK8sLog(path, { follow: true, stopped: new Promise<void>(() => {}) })) {
      seen.push(e.text);
      assert.equal(watchers(), watchersBefore + 1);
      assert.equal(await fdsOnLog(), 1);
      break;
    }
    assert.deepEqual(seen, ['a']);
    assert.equal(watchers(), watchersBefore);
    assert.equal(await fdsOnLog(), 0);
  });
});

describe('formatLogEntry', () => {
  const entry: LogEntry = { time: at(1), timeText: ts(1, 123), stream: 'stdout', text: 'hi there', complete: true };

  it('prints the text and a newline', () => {
    assert.equal(formatLogEntry(entry, {}), 'hi there\n');
    assert.equal(formatLogEntry({ ...entry, complete: false }, {}), 'hi there');
  });

  it('puts the time first with --timestamps, writing a zero offset as Z as podman does', () => {
    assert.equal(formatLogEntry(entry, { timestamps: true }), '2026-11-23T10:00:01.000000123Z hi there\n');
    const local = { ...entry, timeText: '2026-11-23T15:30:01.000000123+05:30' };
    assert.equal(formatLogEntry(local, { timestamps: true }), '2026-11-23T15:30:01.000000123+05:30 hi there\n');
  });

  it('puts the container name before everything', () => {
    assert.equal(formatLogEntry(entry, { prefix: 'web', timestamps: true }), 'web 2026-11-23T10:00:01.000000123Z hi there\n');
    assert.equal(formatLogEntry(entry, { prefix: 'web' }), 'web hi there\n');
  });
});

describe('parseLogTime', () => {
  const now = new Date('2026-11-23T12:00:00.000Z');
  const iso = (value: string): string => parseLogTime(value, now).toISOString();

  it('parses RFC 3339 with and without fraction and zone (no zone is UTC)', () => {
    assert.equal(iso('2026-11-23T10:00:00Z'), '2026-11-23T10:00:00.000Z');
    assert.equal(iso('2026-11-23T10:00:00.123456789Z'), '2026-11-23T10:00:00.123Z');
    assert.equal(iso('2017-08-07T10:10:09.055837383-04:00'), '2017-08-07T14:10:09.055Z');
    assert.equal(iso('2026-11-23T10:00:00+02:00'), '2026-11-23T08:00:00.000Z');
    assert.equal(iso('2026-11-23T10:00:00'), '2026-11-23T10:00:00.000Z');
    assert.equal(iso('2026-11-23T10:00:00.5'), '2026-11-23T10:00:00.500Z');
  });

  it('parses a date, with or without a zone', () => {
    assert.equal(iso('2026-11-23'), '2026-11-23T00:00:00.000Z');
    assert.equal(iso('2026-11-23Z'), '2026-11-23T00:00:00.000Z');
    assert.equal(iso('2026-11-23+01:00'), '2026-11-22T23:00:00.000Z');
    assert.equal(iso('2024-02-29'), '2024-02-29T00:00:00.000Z');
  });

  it('parses Unix seconds with an optional fraction', () => {
    assert.equal(iso('0'), '1970-01-01T00:00:00.000Z');
    assert.equal(iso('1700000000'), '2023-11-14T22:13:20.000Z');
    assert.equal(iso('1700000000.123'), '2023-11-14T22:13:20.123Z');
    assert.equal(iso('-1.5'), '1969-12-31T23:59:58.500Z');
  });

  it('parses Go durations as that long before now', () => {
    assert.equal(iso('10m'), '2026-11-23T11:50:00.000Z');
    assert.equal(iso('1h30m'), '2026-11-23T10:30:00.000Z');
    assert.equal(iso('90s'), '2026-11-23T11:58:30.000Z');
    assert.equal(iso('1.5h'), '2026-11-23T10:30:00.000Z');
    assert.equal(iso('250ms'), '2026-11-23T11:59:59.750Z');
    assert.equal(iso('-5m'), '2026-11-23T12:05:00.000Z');
    assert.equal(iso('1h0m0.5s'), '2026-11-23T10:59:59.500Z');
  });

  it('uses the current time when none is given', () => {
    const before = Date.now();
    const t = parseLogTime('1m').getTime();
    assert.ok(t >= before - 60_000 && t <= Date.now() - 60_000);
  });

  it('rejects anything else with a one-line message naming the value', () => {
    for (const bad of ['', 'yesterday', '10x', '5 m', 'm', '2026-13-01', '2026-02-30', '2026-11-23T24:00:00Z', '2026-11-23T10:00Z', '2026/11/23', '1e400', '1h-5m']) {
      assert.throws(
        () => parseLogTime(bad, now),
        (e: Error) => e.message.includes(JSON.stringify(bad)) && !e.message.includes('\n'),
        bad,
      );
    }
  });
});
