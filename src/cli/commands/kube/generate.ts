import { closeSync, openSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError, TspodError } from '../../../util/errors.js';
import { VERSION } from '../../../version.js';
import { generateKube, KUBE_KINDS, type KubeKind } from '../../../kube/generate.js';

interface Options {
  filename?: string;
  service?: boolean;
  type: string;
  replicas: string;
  podmanOnly?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] {CONTAINER...|POD...|VOLUME...}',
  description: 'Generate Kubernetes YAML (a Pod by default) from containers, pods or volumes.',
  examples: ['tspod generate kube my-pod > my-pod.yaml', 'tspod kube generate --type deployment --replicas 3 web', 'tspod kube generate -s -f web.yaml my-pod'],
  configure(cmd: Command) {
    cmd
      .argument('[name...]')
      .option('-f, --filename <file>', 'Write output to the specified path')
      .option('-s, --service', 'Generate YAML for a Kubernetes service object')
      .option('-t, --type <kind>', 'Generate YAML for the given Kubernetes kind: pod, deployment, daemonset or job', 'pod')
      .option('-r, --replicas <count>', 'Set the replicas number for Deployment kind', '1')
      .option('--podman-only', 'Add podman-only reserved annotations to the generated YAML file (Cannot be used by Kubernetes)');
  },
  async run(ctx, args, opts) {
    const type = opts.type.toLowerCase() as KubeKind;
    if (!KUBE_KINDS.includes(type)) {
      throw new InvalidArgumentError(`invalid generation type "${opts.type}": only pod, deployment, daemonset and job are supported`);
    }
    if (!/^\d+$/.test(opts.replicas)) throw new InvalidArgumentError(`invalid --replicas "${opts.replicas}": give a whole number`);
    const engine = await ctx.engine();
    const text = await generateKube(engine, args, {
      service: opts.service === true,
      type,
      replicas: Number(opts.replicas),
      podmanOnly: opts.podmanOnly === true,
      version: VERSION,
      now: new Date(),
    });
    if (!opts.filename) {
      ctx.out(text);
      return 0;
    }
    let fd: number;
    try {
      fd = openSync(opts.filename, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new InvalidArgumentError(`cannot write to "${opts.filename}": file exists: choose another name or remove it`);
      throw new TspodError(`cannot write to "${opts.filename}": ${(e as Error).message}`);
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    return 0;
  },
});
