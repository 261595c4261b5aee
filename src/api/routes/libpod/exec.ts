/**
 * Libpod exec: create a session (`POST /libpod/containers/{name}/exec`), start
 * it on a hijacked connection (`POST /libpod/exec/{id}/start`), read its exit
 * code (`GET /libpod/exec/{id}/json`), resize its terminal. The engine's exec
 * is one call; the session holds its options between the requests.
 */
import type { ApiRouter } from '../../router.js';
import { readJsonBody, sendEmpty, sendJson } from '../../http.js';
import { framedWriter, rawWriter, STDERR, STDOUT, frame } from '../../streams.js';
import { FieldReader } from '../../libpod/specgen.js';
import { toWireError, type WireError } from '../../libpod/errors.js';
import { LibpodRoutes, readRequestJson, takeOverConnection } from './common.js';
import { createExecSession, dropTerminal, execSession, terminalFor, type ExecSession } from './sessions.js';
import { sizeParams } from './containers.js';
import { BadInputError, ContainerStateError, NoSuchContainerError, TspodError } from '../../../util/errors.js';
import { Writable } from 'node:stream';

class NoSuchExecSessionError extends TspodError {
  override code = 'NO_SUCH_EXEC_SESSION';
  override status = 404;
}

const sessionErrors = new WeakMap<ExecSession, WireError>();

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
    const session = createExecSession({
      container: String(info.Id),
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
    if (session.running || session.exitCode !== undefined) throw new ContainerStateError(`exec session ${session.id} has already been started: exec session state improper`);
    // The session's own terminal setting decides (clients send Tty at start only as a hint).
    const tty = session.options.tty === true;
    if (body.bool('Detach')) {
      session.running = true;
      const quiet = new Writable({ write: (_c, _e, cb) => cb() });
      // Run in the background here (not the runtime's --detach), so inspect sees it run and learns its exit code.
      void ctx.engine.containers
        .exec(session.container, { ...session.options, interactive: false, tty }, { stdout: quiet, stderr: quiet, onStarted: (pid) => (session.pid = pid ?? 0) })
        .then(
          (code) => (session.exitCode = code),
          (err: unknown) => {
            const wire = toWireError(err);
            sessionErrors.set(session, wire);
            session.exitCode = wire.exitcode ?? 126;
          },
        )
        .finally(() => {
          session.running = false;
          session.pid = 0;
        });
      sendEmpty(ctx.res, 200);
      return;
    }
    const conn = takeOverConnection(ctx, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const out = tty ? rawWriter(conn.output) : framedWriter(conn.output, STDOUT);
    const err = tty ? out : framedWriter(conn.output, STDERR);
    const quiet = new Writable({ write: (_c, _e, cb) => cb() });
    session.running = true;
    const terminal = tty ? terminalFor(`exec:${session.id}`) : undefined;
    try {
      session.exitCode = await ctx.engine.containers.exec(
        session.container,
        { ...session.options, tty },
        {
          stdin: session.attachStdin ? conn.input : undefined,
          stdout: session.attachStdout ? out : quiet,
          stderr: session.attachStderr ? err : quiet,
          detachKeys: session.detachKeys,
          terminal,
          sigProxy: false,
          onStarted: (pid) => (session.pid = pid ?? 0),
        },
      );
    } catch (e) {
      const wire = toWireError(e);
      sessionErrors.set(session, wire);
      session.exitCode = wire.exitcode ?? 126;
      if (!tty) conn.output.write(frame(3, Buffer.from(`${wire.message}\n`)));
    } finally {
      session.running = false;
      session.pid = 0;
      dropTerminal(`exec:${session.id}`);
      conn.close();
    }
  });

  r.get('/exec/:id/json', ({ params, res }) => {
    const session = requireSession(params.id!);
    sendJson(res, 200, {
      ID: session.id,
      ContainerID: session.container,
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
      Error: sessionErrors.get(session) ?? null,
    });
  });

  r.post('/exec/:id/resize', ({ params, query, res }) => {
    requireSession(params.id!);
    terminalFor(`exec:${params.id}`).resize(sizeParams(query));
    sendJson(res, 201, {});
  });
}

function requireSession(id: string): ExecSession {
  const session = execSession(id);
  if (!session) throw new NoSuchExecSessionError(`no exec session with ID ${id} found: no such exec session`);
  return session;
}
