import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { VERSION, API_VERSION, BUILT } from '../../../version.js';
import { hostArchitecture } from '../../../util/platform.js';

interface Options {
  format?: string;
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'Display the tspod version information.',
  configure(cmd: Command) {
    cmd.option('-f, --format <format>', 'change the output format to JSON or a Go template');
  },
  async run(ctx, _args, opts) {
    const arch = hostArchitecture();
    const client = {
      APIVersion: API_VERSION,
      Version: VERSION,
      GoVersion: `node ${process.version}`,
      GitCommit: '',
      BuiltTime: goDate(new Date(BUILT * 1000)),
      Built: BUILT,
      OsArch: `linux/${arch}`,
      Os: 'linux',
    };
    const report = { Client: client };
    if (opts.format) {
      const { printJson } = await import('../../format/report.js');
      if (opts.format === 'json' || opts.format === '{{json .}}') return void ctx.out(printJson(report));
      const { compileTemplate } = await import('../../format/gotemplate.js');
      ctx.out(`${compileTemplate(opts.format).execute(report)}\n`);
      return;
    }
    ctx.out(
      [
        `Client:       tspod Engine`,
        `Version:      ${client.Version}`,
        `API Version:  ${client.APIVersion}`,
        `Go Version:   ${client.GoVersion}`,
        `Built:        ${client.BuiltTime}`,
        `OS/Arch:      ${client.OsArch}`,
        '',
      ].join('\n'),
    );
  },
});

/** Go's time.ANSIC layout, as podman prints `Built`: "Mon Jan  2 15:04:05 2006". */
function goDate(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`;
}
