/**
 * attach, resize and wait. The Docker CLI runs a container as create, attach,
 * wait (condition next-exit or removed), start: an attach to a container not
 * yet running waits here for the start request, which then starts the
 * container with the attach in place so no output is lost; a wait answers its
 * headers at once (the CLI waits for them before it starts the container).
 */
import type { ApiRouter } from '../../router.js';
import { queryBool, queryInt, type ApiContext } from '../../http.js';
import { flushWriters, framedWriter, hijack, nullWriter, rawWriter, STDERR, STDOUT, type HijackedConnection } from '../../streams.js';
import { dockerState, type EngineInspect } from '../../compat/containers.js';
import type { AttachStreams, Engine } from '../../../engine/types.js';
import { BadInputError, errorMessage } from '../../../util/errors.js';
import { pendingAttaches, terminalSizes } from '../../sessions.js';
import { inspectOne } from './containers.js';
import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';

export function register(router: ApiRouter): void {
  router.post('/containers/:id/attach', attachContainer);
  router.post('/containers/:id/resize', resizeContainer);
  router.post('/containers/:id/wait', waitContainer);
}

/** Where a container's stdout and stderr go on a connection: raw with a terminal, framed without. */
export function outputWriters(out: NodeJS.WritableStream, tty: boolean, want: { stdout: boolean; stderr: boolean }): { stdout: Writable; stderr: Writable } {
  const writer = (stream: typeof STDOUT | typeof STDERR, wanted: boolean) => (!wanted ? nullWriter() : tty ? rawWriter(out) : framedWriter(out, stream));
  return { stdout: writer(STDOUT, want.stdout), stderr: writer(STDERR, want.stderr) };
}

export function streamContentType(tty: boolean): string {
  return tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
}

function isUp(inspect: EngineInspect): boolean {
  const state = dockerState(inspect.State.Status);
  return state === 'running' || state === 'paused';
}

async function attachContainer(ctx: ApiContext): Promise<void> {
  const { engine, query } = ctx;
  const inspect = await inspectOne(engine, ctx.params.id!);
  const id = inspect.Id;
  const tty = inspect.Config.Tty === true;
  const wantStdin = queryBool(query, 'stdin');
  const conn = hijack(ctx, streamContentType(tty));
  const out = outputWriters(conn.output, tty, { stdout: queryBool(query, 'stdout'), stderr: queryBool(query, 'stderr') });
  // Without stdin the client's bytes are read and dropped, so its hang-up is noticed.
  if (!wantStdin) conn.input.resume();
  if (queryBool(query, 'logs')) {
    try {
      await engine.containers.logs([id], {}, out);
    } catch {
      // a container whose log driver keeps nothing has nothing to replay
    }
  }
  if (!queryBool(query, 'stream')) {
    await flushWriters(out.stdout, out.stderr);
    conn.close();
    return;
  }
  const terminal = terminalSizes.start(id);
  const streams: AttachStreams = {
    stdin: wantStdin ? conn.input : undefined,
    stdout: out.stdout,
    stderr: out.stderr,
    detachKeys: query.get('detachKeys') ?? undefined,
    terminal: tty ? terminal.terminal : undefined,
  };
  const finish = () => {
    terminal.close();
    void flushWriters(out.stdout, out.stderr).then(() => conn.close());
  };
  if (isUp(inspect)) {
    engine.containers.attach(id, streams).then(finish, (err: unknown) => endWithError(out.stderr, err, finish));
    return;
  }
  // A start that fails says why in its own answer; the attached stream just ends.
  const forget = pendingAttaches.add(id, { streams, settle: finish });
  closed(conn).then(() => {
    forget();
    terminal.close();
  });
}

/** Resolves when the client's connection is gone. */
function closed(conn: HijackedConnection): Promise<void> {
  return new Promise((resolve) => {
    const stream = conn.output as NodeJS.WritableStream & { destroyed?: boolean };
    if (stream.destroyed) return resolve();
    stream.once('close', () => resolve());
  });
}

/** An error once the stream is under way: its text on stderr, and the end. */
function endWithError(stderr: Writable, err: unknown, finish: () => void): void {
  stderr.write(Buffer.from(`Error: ${errorMessage(err)}\n`));
  finish();
}

function resizeContainer(ctx: ApiContext): void {
  const rows = queryInt(ctx.query, 'h');
  const columns = queryInt(ctx.query, 'w');
  if (rows === undefined || columns === undefined || rows < 0 || columns < 0) throw new BadInputError('query parameters h and w must be given: the terminal height and width');
  terminalSizes.resize(ctx.params.id!, { rows, columns });
  ctx.res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '0' });
  ctx.res.end();
}

const WAIT_CONDITIONS = ['not-running', 'next-exit', 'removed'];

async function waitContainer(ctx: ApiContext): Promise<void> {
  const condition = ctx.query.get('condition') || 'not-running';
  if (!WAIT_CONDITIONS.includes(condition)) throw new BadInputError(`invalid condition "${condition}": use not-running, next-exit or removed`);
  const inspect = await inspectOne(ctx.engine, ctx.params.id!);
  const { res } = ctx;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  let body: unknown;
  try {
    body = { StatusCode: await waitFor(ctx.engine, inspect, condition, abort.signal), Error: null };
  } catch (err) {
    body = { StatusCode: -1, Error: { Message: errorMessage(err) } };
  }
  if (!res.destroyed) res.end(JSON.stringify(body));
}

const POLL_MS = 100;

/** Docker's wait conditions over the engine's wait: the exit code of the exit waited for. */
async function waitFor(engine: Engine, inspect: EngineInspect, condition: string, signal: AbortSignal): Promise<number> {
  const id = inspect.Id;
  const state = dockerState(inspect.State.Status);
  if (condition === 'not-running' && !isUp(inspect)) return inspect.State.ExitCode;
  let exitCode = inspect.State.ExitCode;
  // An exited container's next exit comes after its next start.
  const runsAgain = state === 'exited' && condition === 'next-exit' ? await startedAgain(engine, inspect, signal) : state !== 'exited';
  if (runsAgain) {
    const [report] = await engine.containers.wait([id], { conditions: ['exited'], signal });
    if (report?.error) throw report.error;
    exitCode = report?.exitCode ?? -1;
  }
  if (condition === 'removed') {
    while (await engine.containers.exists(id)) await delay(POLL_MS, undefined, { signal });
  }
  return exitCode;
}

async function startedAgain(engine: Engine, before: EngineInspect, signal: AbortSignal): Promise<boolean> {
  for (;;) {
    await delay(POLL_MS, undefined, { signal });
    const [now] = await engine.containers.inspect([before.Id]);
    if (!now || now instanceof Error) return false;
    if ((now as unknown as EngineInspect).State.StartedAt !== before.State.StartedAt) return true;
  }
}
