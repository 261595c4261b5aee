/**
 * Libpod exec: create a session (`POST /libpod/containers/{name}/exec`), start
 * it on a hijacked connection (`POST /libpod/exec/{id}/start`), read its exit
 * code (`GET /libpod/exec/{id}/json`), resize its terminal. The engine's exec
 * is one call; the session holds its options between the requests.
 */
import type { ApiRouter } from '../../router.js';
import { readJsonBody, sendEmpty, sendJson } from '../../http.js';
import { framedWriter, nullWriter, rawWriter, STDERR, STDOUT, frame } from '../../streams.js';
import { FieldReader } from '../../libpod/specgen.js';
import { toWireError } from '../../libpod/errors.js';
import { LibpodRoutes, readRequestJson, takeOverConnection } from './common.js';
import { execSessions, terminalSizes, type ExecSession } from '../../sessions.js';
import { sizeParams } from './containers.js';
import { BadInputError, ContainerStateError, NoSuchContainerError, TspodError } from '../../../util/errors.js';

class NoSuchExecSessionError extends TspodError {
  override code = 'NO_SUCH_EXEC_SESSION';
  override status = 404;
}

export function register(router: ApiRouter): void {
  const r = new LibpodRoutes(router);

  r.post('/containers/:name/exec', async ({ engine, params, req, res }) => {
    const body = new FieldReader(await readJsonBody(req));
    const command = body.strings('Cmd');
    if (!command?.length) throw new BadInputError('field Cmd: a command is required');
    const [info] = await engine.containers.inspect([params.name!]);
    if (!info || info instanceof Error) throw info ?? new NoSuchContainerError(`no container with name or ID "${params.name}" found: no such container`);
    const state = String((info.State as { Status?: string }).Status ?? '');
    if (state !== 'running') {
      throw new ContainerStateError('can only create exec sessions on running containers: container state improper', { exitCode: 255 });
    }
    const env: Record<string, string> = {};
    for (const entry of body.strings('Env') ?? []) {
      const i = entry.indexOf('=');
      if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
    }
    const session = execSessions.create({
      containerId: String(info.Id),
      options: {
        command,
        ...(Object.keys(env).length ? { env } : {}),
        ...(body.string('User') ? { user: body.string('User') } : {}),
        ...(body.string('WorkingDir') ? { workingDir: body.string('WorkingDir') } : {}),
        tty: body.bool('Tty') === true,
        interactive: body.bool('AttachStdin') === true,
        privileged: body.bool('Privileged') === true,
      },
      detachKeys: body.string('DetachKeys'),
      attachStdin: body.bool('AttachStdin') === true,
      attachStdout: body.exactBool('AttachStdout') !== false,
      attachStderr: body.exactBool('AttachStderr') !== false,
    });
    sendJson(res, 201, { Id: session.id });
  });

  r.post('/exec/:id/start', async (ctx) => {
    const session = requireSession(ctx.params.id!);
    const body = new FieldReader(await readRequestJson(ctx));
    if (!execSessions.begin(session)) throw new ContainerStateError(`exec session ${session.id} has already been started: exec session state improper`);
    // The session's own terminal setting decides (clients send Tty at start only as a hint).
    const tty = session.options.tty === true;
    if (body.bool('Detach')) {
      // Run in the background here (not the runtime's --detach), so inspect sees it run and learns its exit code.
      void execSessions.run(ctx.engine, session, { ...session.options, interactive: false, tty }, { stdout: nullWriter(), stderr: nullWriter() });
      sendEmpty(ctx.res, 200);
      return;
    }
    const conn = takeOverConnection(ctx, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const out = tty ? rawWriter(conn.output) : framedWriter(conn.output, STDOUT);
    const err = tty ? out : framedWriter(conn.output, STDERR);
    const terminal = tty ? terminalSizes.start(session.id) : undefined;
    try {
      await execSessions.run(
        ctx.engine,
        session,
        { ...session.options, tty },
        {
          stdin: session.attachStdin ? conn.input : undefined,
          stdout: session.attachStdout ? out : nullWriter(),
          stderr: session.attachStderr ? err : nullWriter(),
          detachKeys: session.detachKeys,
          terminal: terminal?.terminal,
          sigProxy: false,
        },
      );
      if (session.error !== undefined && !tty) conn.output.write(frame(3, Buffer.from(`${toWireError(session.error).message}\n`)));
    } finally {
      terminal?.close();
      conn.close();
    }
  });

  r.get('/exec/:id/json', ({ params, res }) => {
    const session = requireSession(params.id!);
    sendJson(res, 200, {
      ID: session.id,
      ContainerID: session.containerId,
      Running: session.running,
      ExitCode: session.exitCode ?? 0,
      Pid: session.pid,
      OpenStdin: session.attachStdin,
      OpenStdout: session.attachStdout,
      OpenStderr: session.attachStderr,
      CanRemove: !session.running,
      DetachKeys: session.detachKeys ?? '',
      ProcessConfig: {
        arguments: session.options.command.slice(1),
        entrypoint: session.options.command[0],
        privileged: session.options.privileged === true,
        tty: session.options.tty === true,
        user: session.options.user ?? '',
      },
      // What went wrong when the command could not be run (tspod's addition; Podman shows it on the stream).
      Error: session.error === undefined ? null : toWireError(session.error),
    });
  });

  r.post('/exec/:id/resize', ({ params, query, res }) => {
    const session = requireSession(params.id!);
    terminalSizes.resize(session.id, sizeParams(query));
    sendJson(res, 201, {});
  });
}

function requireSession(id: string): ExecSession {
  const session = execSessions.get(id);
  if (!session) throw new NoSuchExecSessionError(`no exec session with ID ${id} found: no such exec session`);
  return session;
}
