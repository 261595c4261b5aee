import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { networkFromFlags } from '../container/createFlags.js';
import { parseGoBool } from '../pod/common.js';
import { logDriver } from '../../../engine/spec/hostSpec.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { playKube, playReportText, type PlayKubeOptions } from '../../../kube/play.js';
import { downReportText, kubeDown } from '../../../kube/down.js';
import { readKubeInput } from './input.js';
import { parseTlsVerify, registryAccess } from '../image/pullFlags.js';

interface Options {
  start?: boolean;
  replace?: boolean;
  down?: boolean;
  force?: boolean;
  network?: string[];
  publish?: string[];
  publishAll?: boolean;
  configmap?: string[];
  logDriver?: string;
  logOpt?: string[];
  build?: boolean;
  contextDir?: string;
  annotation?: string[];
  hosts?: boolean;
  /** --no-pod-prefix sets it false. */
  podPrefix?: boolean;
  quiet?: boolean;
  userns?: string;
  tlsVerify?: boolean | string;
  authfile?: string;
  certDir?: string;
  creds?: string;
}

export default defineCommand<Options>({
  usage: '[options] KUBEFILE|-|URL',
  description: 'Creates (and starts) the pods, containers, volumes and secrets described in Kubernetes YAML; prints the ids.',
  examples: ['tspod kube play my-pod.yaml', 'tspod play kube --replace --publish 8080:80 my-pod.yaml', 'tspod kube play --down my-pod.yaml'],
  configure(cmd: Command) {
    cmd
      .argument('[file...]')
      .option('--start [bool]', 'Start the pod after creating it', (v) => parseGoBool(v, '--start'))
      .option('--replace', 'Delete and recreate pods described by the YAML file')
      .option('--down', 'Stop pods defined in the YAML file')
      .option('--force', 'Remove volumes as part of --down')
      .option('--network <mode>', 'Connect pod to network(s) or network mode', collect)
      .option('--publish <port>', 'Publish a container port, or range of ports, to the host', collect)
      .option('--publish-all', 'Publish all container ports declared in the YAML')
      .option('--configmap <file>', 'Path to a YAML file containing a ConfigMap (comma separated or repeated)', collect)
      .option('--log-driver <driver>', 'Logging driver for the containers: k8s-file, none or passthrough')
      .option('--log-opt <option>', 'Logging driver options', collect)
      .option('--build [bool]', 'Build all images in a YAML (given Containerfiles)', (v) => parseGoBool(v, '--build'))
      .option('--context-dir <dir>', 'Path to top level of context directory')
      .option('--annotation <key=value>', 'Add annotations to pods', collect)
      .option('--no-hosts', 'Do not create /etc/hosts within the pod\'s containers')
      .option('--no-pod-prefix', 'Do not prefix container names with the pod name')
      .option('-q, --quiet', 'Suppress output information when pulling images')
      .option('--userns <mode>', 'User namespace to use (host only)')
      .option('--tls-verify [bool]', 'Require HTTPS and verify certificates when contacting registries', parseTlsVerify)
      .option('--authfile <path>', 'Path of the authentication file')
      .option('--cert-dir <dir>', 'Use certificates at the specified path to access the registry')
      .option('--creds <user:password>', 'Credentials to access the registry');
  },
  async run(ctx, args, opts) {
    if (opts.force && !opts.down) throw new InvalidArgumentError('--force may be specified only with --down');
    if (opts.contextDir && opts.build !== true) throw new InvalidArgumentError('--build must be specified when using --context-dir option');
    if (opts.userns && opts.userns !== 'host') throw new InvalidArgumentError(`--userns ${opts.userns} is not supported by kube play yet: use host (the default)`);
    const registry = registryAccess(opts, args);
    const { text, source } = await readKubeInput(args);
    const engine = await ctx.engine();
    if (opts.down) {
      const report = await kubeDown(engine, text, source, { force: opts.force === true });
      ctx.out(downReportText(report));
      for (const e of report.errors) ctx.err(`Error: ${e}\n`);
      return report.errors.length ? 125 : 0;
    }
    const playOptions = playOptionsFromFlags(opts);
    if (opts.replace) {
      const report = await kubeDown(engine, text, source);
      ctx.out(downReportText(report));
      if (report.errors.length) throw new InvalidArgumentError(`--replace could not remove the old pods: ${report.errors[0]}`);
    }
    const report = await playKube(engine, text, source, {
      ...playOptions,
      registry,
      cwd: process.cwd(),
      warn: (m) => ctx.err(`WARN[0000] ${m}\n`),
      progress: opts.quiet ? undefined : (line) => ctx.err(line.endsWith('\n') ? line : `${line}\n`),
    });
    ctx.out(playReportText(report));
    return 0;
  },
});

function playOptionsFromFlags(opts: Options): Omit<PlayKubeOptions, 'cwd'> {
  const out: Omit<PlayKubeOptions, 'cwd'> = { start: opts.start !== false };
  if (opts.network?.length) {
    const net = networkFromFlags({ network: opts.network });
    out.network = { ...(net.network ? { network: net.network } : {}), ...(net.networks ? { networks: net.networks } : {}) };
  }
  if (opts.publish?.length) out.publish = networkFromFlags({ publish: opts.publish }).portMappings ?? [];
  if (opts.publishAll) out.publishAll = true;
  if (opts.logDriver !== undefined) out.logDriver = logDriver(opts.logDriver);
  out.configMaps = (opts.configmap ?? [])
    .flatMap((c) => c.split(','))
    .filter(Boolean)
    .map((path) => {
      try {
        return { source: path, text: readFileSync(path, 'utf8') };
      } catch {
        throw new InvalidArgumentError(`--configmap ${path}: cannot read the file: give an existing YAML file`);
      }
    });
  if (opts.build !== undefined) out.build = opts.build;
  if (opts.contextDir) out.contextDir = opts.contextDir;
  if (opts.annotation?.length) {
    out.annotations = {};
    for (const a of opts.annotation) {
      const i = a.indexOf('=');
      if (i < 0) throw new InvalidArgumentError(`annotation "${a}" must include an '=' sign`);
      out.annotations[a.slice(0, i)] = a.slice(i + 1);
    }
  }
  if (opts.hosts === false) out.noHosts = true;
  if (opts.podPrefix === false) out.noPodPrefix = true;
  return out;
}
