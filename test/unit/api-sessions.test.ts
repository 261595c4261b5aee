import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExecSessions, RecentExits, TerminalSizes } from '../../src/api/sessions.js';
import { nullWriter } from '../../src/api/streams.js';
import type { Engine } from '../../src/engine/types.js';
import { TspodError } from '../../src/util/errors.js';

describe('terminal sizes', () => {
  it('keeps a size sent before its session starts, for that start only', () => {
    const sizes = new TerminalSizes();
    sizes.resize('c1', { rows: 30, columns: 100 });
    const first = sizes.start('c1');
    assert.deepEqual(first.terminal.size(), { rows: 30, columns: 100 });
    first.close();
    assert.equal(sizes.start('c1').terminal.size(), undefined);
  });

  it('tells every attach to one container of a resize, and no longer one that ended', () => {
    const sizes = new TerminalSizes();
    const a = sizes.start('c1');
    const b = sizes.start('c1', { rows: 10, columns: 20 });
    const heard: string[] = [];
    a.terminal.onResize(() => heard.push('a'));
    b.terminal.onResize(() => heard.push('b'));
    sizes.resize('c1', { rows: 40, columns: 120 });
    assert.deepEqual(heard, ['a', 'b']);
    assert.deepEqual(a.terminal.size(), { rows: 40, columns: 120 });
    b.close();
    sizes.resize('c1', { rows: 41, columns: 121 });
    assert.deepEqual(heard, ['a', 'b', 'a']);
  });
});

describe('exec sessions', () => {
  const init = { containerId: 'c1', options: { command: ['true'] }, attachStdin: false, attachStdout: true, attachStderr: true };

  it('finds a session by a 12-character prefix and lists it under its container', () => {
    const sessions = new ExecSessions();
    const s = sessions.create(init);
    assert.equal(sessions.get(s.id.slice(0, 12)), s);
    assert.equal(sessions.get(s.id.slice(0, 11)), undefined);
    assert.deepEqual(sessions.ofContainer('c1'), [s.id]);
    assert.deepEqual(sessions.ofContainer('c2'), []);
  });

  it('starts once and records the exit code, or why the command could not run', async () => {
    const sessions = new ExecSessions();
    const engine = { containers: { exec: async (_id: string, opts: { command: string[] }) => {
      if (opts.command[0] === 'missing') throw new TspodError('executable file not found', { exitCode: 127 });
      return 3;
    } } } as unknown as Engine;
    const ok = sessions.create(init);
    assert.equal(sessions.begin(ok), true);
    assert.equal(sessions.begin(ok), false);
    assert.equal(await sessions.run(engine, ok, ok.options, { stdout: nullWriter(), stderr: nullWriter() }), 3);
    assert.deepEqual([ok.running, ok.exitCode, ok.error], [false, 3, undefined]);
    assert.deepEqual(sessions.ofContainer('c1'), [], 'a finished session leaves the container\'s ExecIDs');
    assert.equal(sessions.get(ok.id), ok);
    assert.equal(sessions.begin(ok), false);
    const bad = sessions.create({ ...init, options: { command: ['missing'] } });
    sessions.begin(bad);
    assert.equal(await sessions.run(engine, bad, bad.options, { stdout: nullWriter(), stderr: nullWriter() }), 127);
    assert.match(String(bad.error), /executable file not found/);
  });
});

describe('recent exits', () => {
  it('answers by id or a long enough prefix until forgotten', () => {
    const exits = new RecentExits();
    exits.remember('0123456789abcdef', 7);
    assert.equal(exits.of('0123456789ab'), 7);
    assert.equal(exits.of('0123'), undefined);
    exits.forget('0123456789abcdef');
    assert.equal(exits.of('0123456789abcdef'), undefined);
  });
});
