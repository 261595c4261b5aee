/**
 * Docker's exec: create (a session remembered by the service), start (the
 * process runs, hijacking the connection unless detached), resize and inspect.
 */
import type { ApiRouter } from '../../router.js';
import { queryInt, readContextJson, sendJson, type ApiContext } from '../../http.js';
import { flushWriters, hijack, nullWriter } from '../../streams.js';
import { BodyFields } from '../../compat/body.js';
import { dockerState } from '../../compat/containers.js';
import type { ExecOptions } from '../../../engine/types.js';
import { BadInputError, ConflictError, ContainerStateError, TspodError } from '../../../util/errors.js';
import { execSessions, terminalSizes, type ExecSession } from '../../sessions.js';
import { inspectOne } from './containers.js';
import { outputWriters, streamContentType } from './containerAttach.js';

export function register(router: ApiRouter): void {
  router.post('/containers/:id/exec', createExec);
  router.post('/exec/:id/start', startExec);
  router.post('/exec/:id/resize', resizeExec);
  router.get('/exec/:id/json', inspectExec);
}

class NoSuchExecError extends TspodError {
  override code = 'NO_SUCH_EXEC';
  override status = 404;
}

function session(id: string): ExecSession {
  const found = execSessions.get(id);
  if (!found) throw new NoSuchExecError(`No such exec instance: ${id}`);
  return found;
}

async function createExec(ctx: ApiContext): Promise<void> {
  const body = new BodyFields(await readContextJson(ctx));
  const command = body.strslice('Cmd');
  if (!command?.length) throw new BadInputError('invalid request body: Cmd must be given: the command to run');
  const env: Record<string, string> = {};
  for (const entry of body.strings('Env') ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const tty = body.bool('Tty') === true;
  const attachStdin = body.bool('AttachStdin') === true;
  const options: ExecOptions = {
    command,
    env,
    tty,
    interactive: attachStdin,
    privileged: body.bool('Privileged') === true,
    ...(body.string('User') ? { user: body.string('User') } : {}),
    ...(body.string('WorkingDir') ? { workingDir: body.string('WorkingDir') } : {}),
  };
  body.ints('ConsoleSize');
  const inspect = await inspectOne(ctx.engine, ctx.params.id!);
  if (dockerState(inspect.State.Status) !== 'running') {
    throw new ContainerStateError(`container ${inspect.Id} is not running: start it before exec`);
  }
  const created = execSessions.create({
    containerId: inspect.Id,
    options,
    attachStdin,
    attachStdout: body.bool('AttachStdout') !== false,
    attachStderr: body.bool('AttachStderr') !== false,
    detachKeys: body.string('DetachKeys'),
  });
  sendJson(ctx.res, 201, { Id: created.id });
}

async function startExec(ctx: ApiContext): Promise<void> {
  const exec = session(ctx.params.id!);
  const body = new BodyFields(await readContextJson(ctx));
  const detach = body.bool('Detach') === true;
  const tty = body.bool('Tty') ?? exec.options.tty === true;
  const consoleSize = body.ints('ConsoleSize');
  if (!execSessions.begin(exec)) throw new ConflictError(`exec session ${exec.id} has already been started`);
  const options: ExecOptions = { ...exec.options, tty };
  if (detach) {
    // Run in the background here (not the runtime's --detach), so inspect learns its exit code.
    void execSessions.run(ctx.engine, exec, { ...options, interactive: false }, { stdout: nullWriter(), stderr: nullWriter() });
    sendJson(ctx.res, 200, {});
    return;
  }
  const conn = hijack(ctx, streamContentType(tty));
  const out = outputWriters(conn.output, tty, { stdout: exec.attachStdout, stderr: exec.attachStderr });
  if (!exec.attachStdin) conn.input.resume();
  const [rows, columns] = consoleSize ?? [];
  const terminal = terminalSizes.start(exec.id, rows && columns ? { rows, columns } : undefined);
  // The exit code is recorded before the connection ends: the client asks for it right after.
  await execSessions.run(ctx.engine, exec, options, {
    stdin: exec.attachStdin ? conn.input : undefined,
    stdout: out.stdout,
    stderr: out.stderr,
    detachKeys: exec.detachKeys,
    terminal: tty ? terminal.terminal : undefined,
  });
  terminal.close();
  await flushWriters(out.stdout, out.stderr);
  conn.close();
}

function resizeExec(ctx: ApiContext): void {
  const exec = session(ctx.params.id!);
  const rows = queryInt(ctx.query, 'h');
  const columns = queryInt(ctx.query, 'w');
  if (rows === undefined || columns === undefined || rows < 0 || columns < 0) throw new BadInputError('query parameters h and w must be given: the terminal height and width');
  terminalSizes.resize(exec.id, { rows, columns });
  sendJson(ctx.res, 201, {});
}

function inspectExec(ctx: ApiContext): void {
  const exec = session(ctx.params.id!);
  const [entrypoint = '', ...args] = exec.options.command;
  sendJson(ctx.res, 200, {
    CanRemove: false,
    ContainerID: exec.containerId,
    DetachKeys: exec.detachKeys ?? '',
    ExitCode: exec.exitCode,
    ID: exec.id,
    OpenStderr: exec.attachStderr,
    OpenStdin: exec.attachStdin,
    OpenStdout: exec.attachStdout,
    ProcessConfig: {
      arguments: args,
      entrypoint,
      privileged: exec.options.privileged === true,
      tty: exec.options.tty === true,
      user: exec.options.user ?? '',
    },
    Running: exec.running,
    Pid: exec.pid,
  });
}
