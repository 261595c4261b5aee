import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { addProjectFlags, projectNameFromFlags, serviceContainers, type ProjectFlags } from './common.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { LABEL } from '../../../compose/specs.js';

interface Options extends ProjectFlags {
  protocol?: string;
  index?: string;
}

export default defineCommand<Options>({
  usage: '[options] SERVICE PRIVATE_PORT',
  description: 'Print the public address of a service port.',
  configure(cmd: Command) {
    cmd.argument('[service]').argument('[port]').option('--protocol <proto>', 'tcp or udp', 'tcp').option('--index <n>', 'Index of the container if service has multiple replicas', '1');
    addProjectFlags(cmd);
  },
  async run(ctx, args, opts) {
    const [service, port] = args;
    if (!service || !port || !/^\d+$/.test(port)) throw new InvalidArgumentError('compose port needs a service and a port: tspod compose port SERVICE PRIVATE_PORT');
    const { name, project } = projectNameFromFlags(ctx, opts);
    const engine = await ctx.engine();
    const c = (await serviceContainers(engine, name, project, [service])).find((x) => x.Labels?.[LABEL.number] === opts.index);
    if (!c) throw new InvalidArgumentError(`service "${service}" has no container with index ${opts.index}: run compose up first`);
    const m = (c.Ports ?? []).find((p) => p.protocol === opts.protocol && Number(port) >= p.container_port && Number(port) < p.container_port + p.range);
    if (!m) throw new InvalidArgumentError(`no port ${port}/${opts.protocol} published for ${service}: publish it with ports:`);
    ctx.out(`${m.host_ip || '0.0.0.0'}:${m.host_port + (Number(port) - m.container_port)}\n`);
  },
});
