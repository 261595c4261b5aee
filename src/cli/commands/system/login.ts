import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { loadRegistriesConf, isInsecure } from '../../../config/registriesConf.js';
import { parseReference } from '../../../image/reference.js';
import { credentialsFor, defaultAuthFile, storeCredentials } from '../../../image/registry/authFile.js';
import { InvalidArgumentError, InvalidCredentialsError, TspodError } from '../../../util/errors.js';

interface Options {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  authfile?: string;
  tlsVerify?: boolean;
  certDir?: string;
  getLogin?: boolean;
  verbose?: boolean;
}

/** Values that followed a bare `--tls-verify` but are no boolean: Go flags would have taken them as arguments. */
const strayArgs: string[] = [];

export default defineCommand<Options>({
  usage: '[options] [REGISTRY]',
  description: 'Checks a username and password against a registry and stores them in the auth file for later pulls and pushes.',
  examples: ['tspod login quay.io', 'printf %s "$TOKEN" | tspod login -u robot --password-stdin registry.example.com', 'tspod login --authfile ./auth.json registry.example.com/team'],
  configure(cmd: Command) {
    cmd
      .argument('[registry]')
      .option('-u, --username <username>', 'username for the registry')
      .option('-p, --password <password>', 'password for the registry')
      .option('--password-stdin', 'take the password from stdin')
      .option('--authfile <path>', 'path of the authentication file (default: REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)')
      .option('--tls-verify [bool]', 'use HTTPS and check the registry certificate (default: unless registries.conf marks it insecure)', (v: string) => tlsVerifyValue(v, strayArgs))
      .option('--cert-dir <path>', 'directory with the CA (*.crt) and client certificates for the registry')
      .option('--get-login', 'print the username stored for the registry')
      .option('-v, --verbose', 'also print which auth file was written');
  },
  async run(ctx, parsedArgs, opts) {
    const args = [...strayArgs, ...parsedArgs];
    if (args.length > 1) throw new InvalidArgumentError(`accepts at most 1 arg(s), received ${args.length}`);
    const conf = loadRegistriesConf();
    const { key, registry } = credentialsKey(args[0], conf.unqualifiedSearchRegistries);
    const authFile = opts.authfile ?? authFileFromEnv();
    const stored = credentialsFor(key, authFile);

    if (opts.getLogin) {
      if (!stored?.username) throw new TspodError(`not logged into ${key}`);
      ctx.out(`${stored.username}\n`);
      return;
    }
    if (stored?.identityToken) throw new TspodError(`the auth file holds an identity token for ${key}: run tspod logout ${key} first`);

    let password = opts.password;
    if (opts.passwordStdin) {
      if (password !== undefined) throw new InvalidArgumentError('--password and --password-stdin cannot be used together');
      if (!opts.username) throw new InvalidArgumentError('--password-stdin needs --username');
      password = await readPasswordFromStdin();
    }
    const engine = await ctx.engine();
    const check = (username: string, pass: string) =>
      engine.images.checkLogin(key, { tlsVerify: opts.tlsVerify ?? !isInsecure(conf, registry), certDir: opts.certDir, credentials: { username, password: pass } });

    if (!opts.username && !password && stored?.username && stored.password) {
      ctx.out(`Checking the stored credentials for ${key}\n`);
      try {
        await check(stored.username, stored.password);
        ctx.out(`The stored credentials are valid: already logged in to ${registry}\n`);
        return;
      } catch (e) {
        if (!(e instanceof InvalidCredentialsError)) throw e;
        ctx.out('The stored credentials are no longer valid: enter a username and password\n');
      }
    }

    let username = opts.username;
    if (!username || !password) {
      if (!process.stdin.isTTY) {
        throw new InvalidArgumentError(`no ${username ? 'password' : 'username'} given and stdin is not a terminal to ask for it: use --username with --password or --password-stdin`);
      }
      if (!username) {
        const answer = (await ask(stored?.username ? `Username (${stored.username}): ` : 'Username: ', false)).trim();
        username = answer || stored?.username;
        if (!username) throw new InvalidArgumentError('no username given: enter one, or use --username');
      }
      if (!password) {
        password = await ask('Password: ', true);
        process.stdout.write('\n');
      }
    }

    await check(username, password);
    const file = authFile ?? defaultAuthFile();
    storeCredentials(key, username, password, file);
    if (opts.verbose) ctx.out(`Used:  ${file}\n`);
    ctx.out('Login Succeeded!\n');
  },
});

/**
 * The auth.json key and the registry host of the command's argument: a URL
 * gives its host[:port]; otherwise host[:port][/repository] is the key, so
 * credentials can be scoped to a namespace. Without an argument: the first
 * unqualified-search registry.
 */
export function credentialsKey(arg: string | undefined, searchRegistries: string[]): { key: string; registry: string } {
  if (arg === undefined) {
    const first = searchRegistries[0];
    if (!first) throw new InvalidArgumentError('no registry given and registries.conf has no unqualified-search-registries: name the registry');
    return { key: first, registry: first };
  }
  let key = arg;
  if (/^https?:\/\//.test(arg)) {
    try {
      key = new URL(arg).host;
    } catch {
      throw new InvalidArgumentError(`"${arg}" is not a valid URL: give the registry as HOST[:PORT]`);
    }
  }
  if (key === '') throw new InvalidArgumentError('the registry name is empty: give HOST[:PORT][/REPOSITORY]');
  const registry = key.split('/')[0]!;
  if (registry === key) return { key, registry };
  let ref;
  try {
    ref = parseReference(key);
  } catch (e) {
    throw new InvalidArgumentError(`"${key}" is not a registry or repository: ${(e as Error).message}`);
  }
  if (ref.tag !== undefined || ref.digest !== undefined) throw new InvalidArgumentError(`"${key}" has a tag or digest: give REGISTRY[/REPOSITORY] without one`);
  if (ref.domain !== registry) throw new InvalidArgumentError(`"${key}" does not start with a registry host: give HOST[:PORT]/REPOSITORY`);
  return { key, registry };
}

/** --authfile's default as Podman computes it: REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json. */
export function authFileFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.DOCKER_CONFIG) return `${env.DOCKER_CONFIG.replace(/\/+$/, '')}/config.json`;
  return undefined;
}

/** A `--tls-verify[=bool]` value; a non-boolean word after the bare flag is an argument, kept in `stray`. */
export function tlsVerifyValue(value: string, stray: string[]): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  stray.push(value);
  return true;
}

/** All of stdin, its lines joined without their line ends (as Podman reads --password-stdin). */
async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .join('');
}

/** Asks on the terminal; `hidden` input is not echoed. */
function ask(question: string, hidden: boolean): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, encoding, callback) {
      if (!muted) process.stdout.write(chunk, encoding);
      callback();
    },
  });
  // The interface puts the terminal in raw mode before the prompt shows, so early keystrokes are not echoed either.
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve, reject) => {
    let answered = false;
    rl.on('SIGINT', () => {
      rl.close();
      process.stdout.write('\n');
      reject(new TspodError('login cancelled', { exitCode: 130 }));
    });
    rl.on('close', () => {
      if (!answered) reject(new TspodError('login cancelled: no answer on stdin'));
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
    // The prompt is out; from here on, what is typed is not shown.
    muted = hidden;
  });
}
