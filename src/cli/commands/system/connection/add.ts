import { statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { defineCommand } from '../../../command.js';
import { InvalidArgumentError, TspodError } from '../../../../util/errors.js';
import { updateConnections } from '../../../../config/connections.js';

interface Options {
  default?: boolean;
  identity?: string;
  port?: string;
  socketPath?: string;
}

export default defineCommand<Options>({
  usage: '[options] NAME DESTINATION',
  description:
    'Record a destination for a remote tspod/podman service: [user@]host[:port] or ssh://[user@]host[:port][/socket], unix:///path, tcp://host:port. The first one recorded becomes the default.',
  examples: [
    'tspod system connection add testing unix:///run/podman/podman.sock',
    'tspod system connection add debug tcp://localhost:8080',
    'tspod system connection add --identity ~/.ssh/dev_rsa production ssh://root@server.example.com:2222',
  ],
  configure(cmd: Command) {
    cmd
      .argument('[args...]')
      .option('-d, --default', 'make the new destination the default for this user')
      .option('--identity <path>', 'path to ssh identity file')
      .option('-p, --port <port>', 'port for ssh destination', '22')
      .option('--socket-path <path>', 'path to the service socket on the ssh destination host');
  },
  async run(ctx, args, opts) {
    if (args.length !== 2) throw new InvalidArgumentError(`accepts 2 arg(s), received ${args.length}: give NAME and DESTINATION`);
    const [name, destination] = args as [string, string];
    const given = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(destination) ? destination : `ssh://${destination}`;
    let uri: URL;
    try {
      uri = new URL(given);
    } catch {
      throw new InvalidArgumentError(`invalid destination "${destination}": use [user@]host[:port], ssh://, unix:// or tcp://`);
    }
    const identityGiven = opts.identity !== undefined;
    let text: string;
    switch (uri.protocol) {
      case 'ssh:': {
        if (!uri.port) uri.port = opts.port ?? '22';
        if (opts.socketPath) uri.pathname = opts.socketPath;
        if (uri.pathname === '' || uri.pathname === '/') uri.pathname = remoteSocketPath(uri, opts.identity);
        text = uri.toString();
        break;
      }
      case 'unix:': {
        if (identityGiven) throw new InvalidArgumentError('--identity option not supported for unix scheme');
        const path = opts.socketPath ?? decodeURIComponent(uri.pathname);
        try {
          if (!statSync(path).isSocket()) throw new InvalidArgumentError(`"${path}" exists and is not a unix domain socket`);
        } catch (e) {
          if (e instanceof InvalidArgumentError) throw e;
          ctx.err(`WARN[0000] "${path}" does not exist\n`);
        }
        text = `unix://${path}`;
        break;
      }
      case 'tcp:':
        if (opts.socketPath) throw new InvalidArgumentError('--socket-path option not supported for tcp scheme');
        if (identityGiven) throw new InvalidArgumentError('--identity option not supported for tcp scheme');
        if (!uri.port) throw new InvalidArgumentError('tcp scheme requires a port either via --port or in destination URL');
        text = `tcp://${uri.host}${uri.pathname === '/' ? '' : uri.pathname}`;
        break;
      default:
        ctx.err(`WARN[0000] "${uri.protocol.replace(/:$/, '')}" unknown scheme, no validation provided\n`);
        text = given;
    }
    updateConnections((c) => {
      const first = Object.keys(c.destinations).length === 0;
      c.destinations[name] = { uri: text, ...(identityGiven ? { identity: opts.identity } : {}) };
      if (first || opts.default) c.active = name;
    });
  },
});

/** The service socket of the ssh destination's user: root's, or that user's runtime dir (asked over ssh). */
function remoteSocketPath(uri: URL, identity: string | undefined): string {
  const user = decodeURIComponent(uri.username);
  if (user === 'root' || (!user && process.getuid?.() === 0)) return '/run/podman/podman.sock';
  const args = ['-o', 'BatchMode=yes', '-p', uri.port];
  if (identity) args.push('-i', identity);
  args.push(`${user ? `${user}@` : ''}${uri.hostname}`, 'id -u');
  const r = spawnSync('ssh', args, { encoding: 'utf8', timeout: 30_000 });
  const uid = r.stdout?.trim();
  if (r.status !== 0 || !/^\d+$/.test(uid ?? '')) {
    throw new TspodError(`cannot ask ${uri.hostname} over ssh for the service's socket: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}: give it with --socket-path`);
  }
  return uid === '0' ? '/run/podman/podman.sock' : `/run/user/${uid}/podman/podman.sock`;
}
