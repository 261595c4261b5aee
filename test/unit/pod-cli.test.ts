import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type { CommandContext, CommandSpec } from '../../src/cli/command.js';
import type { Engine, PodActionReport, PodCreateOptions, PodStatsEntry, PodSummary } from '../../src/engine/types.js';
import { NoSuchPodError, TspodError } from '../../src/util/errors.js';
import create, { parseShare, podCreateOptions, type PodCreateFlags } from '../../src/cli/commands/pod/create.js';
import ps, { renderPodPs } from '../../src/cli/commands/pod/ps.js';
import inspect from '../../src/cli/commands/pod/inspect.js';
import rm from '../../src/cli/commands/pod/rm.js';
import stop from '../../src/cli/commands/pod/stop.js';
import start from '../../src/cli/commands/pod/start.js';
import kill from '../../src/cli/commands/pod/kill.js';
import top from '../../src/cli/commands/pod/top.js';
import exists from '../../src/cli/commands/pod/exists.js';
import stats, { renderPodStats } from '../../src/cli/commands/pod/stats.js';

const NOW = new Date('2026-11-23T11:18:20.500Z');

const POD: PodSummary = {
  Cgroup: '/libpod_parent',
  Containers: [
    { Id: 'dae793a18bef8b2c1f9a1a29ff6431e8be9b35545862edc5d2c5aab324a7df4c', Names: 'web1', Status: 'running' },
    { Id: 'e281ed62edcbb38d7fdd6f2f2af41673ece0414b0afdf6416fa3229eef54e8e4', Names: 'af434e41f756-infra', Status: 'running' },
  ],
  Created: '2026-11-23T11:18:20.042669137Z',
  Id: 'af434e41f756ebb710a8de286f89d3e3a1d5a6dcbb654be4451b8b00dbb80c3d',
  InfraId: 'e281ed62edcbb38d7fdd6f2f2af41673ece0414b0afdf6416fa3229eef54e8e4',
  Name: 'my-pod',
  Namespace: '',
  Networks: ['podman'],
  Status: 'Running',
  Labels: { x: 'y' },
};

const P2: PodSummary = {
  Cgroup: '/libpod_parent',
  Containers: [{ Id: 'b741ba08839205731dde16738d68ff219527fbb11232441a48fd48306ea503e6', Names: '3523de97300a-infra', Status: 'created' }],
  Created: '2026-11-23T11:18:34.201105424Z',
  Id: '3523de97300a921bd9507bb42c2271792af4ae7688bb5f22735732160868c74d',
  InfraId: 'b741ba08839205731dde16738d68ff219527fbb11232441a48fd48306ea503e6',
  Name: 'p2',
  Namespace: '',
  Networks: ['podman'],
  Status: 'Created',
  Labels: {},
};

interface Result {
  out: string;
  err: string;
  code?: number;
  error?: Error;
}

/** Parses argv with the command's own flags and runs it against `engine`, as main.ts does. */
async function runCommand(spec: CommandSpec<any>, argv: string[], engine: Partial<Engine['pods']>, opts: { tty?: boolean } = {}): Promise<Result> {
  const cmd = new Command('tspod pod x');
  spec.configure(cmd);
  if (spec.stopAtFirstArg) cmd.passThroughOptions();
  cmd.exitOverride();
  let args: string[] = [];
  cmd.action((...params: unknown[]) => {
    args = (params[params.length - 1] as Command).args;
  });
  cmd.parse(argv, { from: 'user' });
  const result: Result = { out: '', err: '' };
  const ctx: CommandContext = {
    globals: {} as CommandContext['globals'],
    engine: async () => ({ pods: engine }) as unknown as Engine,
    out: (text) => void (result.out += text),
    err: (text) => void (result.err += text),
    stdoutIsTty: opts.tty === true,
    stderrIsTty: false,
  };
  try {
    result.code = (await spec.run(ctx, args, cmd.opts())) ?? 0;
  } catch (e) {
    result.error = e as Error;
  }
  return result;
}

describe('pod ps', () => {
  it('prints podman 4.3 default columns', () => {
    assert.equal(
      renderPodPs([POD], { now: NOW }),
      'POD ID        NAME        STATUS      CREATED                 INFRA ID      # OF CONTAINERS\n' +
        'af434e41f756  my-pod      Running     Less than a second ago  e281ed62edcb  2\n',
    );
  });

  it('replaces the count by the --ctr-* columns', () => {
    assert.equal(
      renderPodPs([POD], { now: NOW, ctrIds: true, ctrNames: true, ctrStatus: true }),
      'POD ID        NAME        STATUS      CREATED                 INFRA ID      IDS                        NAMES                    STATUS\n' +
        'af434e41f756  my-pod      Running     Less than a second ago  e281ed62edcb  dae793a18bef,e281ed62edcb  web1,af434e41f756-infra  running,running\n',
    );
    assert.match(renderPodPs([POD], { now: NOW, ctrNames: true }).split('\n')[0]!, /INFRA ID +NAMES$/);
  });

  it('adds CGROUP and NAMESPACES with --ns', () => {
    assert.match(renderPodPs([POD], { now: NOW, ns: true }).split('\n')[0]!, /INFRA ID +CGROUP +NAMESPACES +# OF CONTAINERS$/);
  });

  it('prints json like podman, an empty map as its odd empty block', () => {
    const json = renderPodPs([P2], { now: NOW, format: 'json' });
    assert.equal(
      json,
      `[
  {
    "Cgroup": "/libpod_parent",
    "Containers": [
      {
        "Id": "b741ba08839205731dde16738d68ff219527fbb11232441a48fd48306ea503e6",
        "Names": "3523de97300a-infra",
        "Status": "created"
      }
    ],
    "Created": "2026-11-23T11:18:34.201105424Z",
    "Id": "3523de97300a921bd9507bb42c2271792af4ae7688bb5f22735732160868c74d",
    "InfraId": "b741ba08839205731dde16738d68ff219527fbb11232441a48fd48306ea503e6",
    "Name": "p2",
    "Namespace": "",
    "Networks": [
      "podman"
    ],
    "Status": "Created",
    "Labels": {
      
    }
  }
]
`,
    );
    assert.match(renderPodPs([POD], { format: '{{ json }}' }), /"Labels": {\n {6}"x": "y"\n {4}}/);
    assert.equal(renderPodPs([], { format: 'json' }), '[]\n');
  });

  it('runs templates on podman field names', () => {
    assert.equal(
      renderPodPs([POD], { now: NOW, format: '{{.ID}} {{.Id}} {{.Name}} {{.Networks}} {{.Labels}} {{.NumberOfContainers}} {{.InfraID}} {{.Cgroup}} {{.Created}}' }),
      'af434e41f756 af434e41f756 my-pod podman map[x:y] 2 e281ed62edcb /libpod_parent Less than a second ago\n',
    );
    assert.equal(renderPodPs([POD], { format: '{{.ContainerNames}}|{{.ContainerStatuses}}', noTrunc: true }), 'web1,af434e41f756-infra|running,running\n');
  });

  it('heads table templates from podman header map only', () => {
    assert.equal(
      renderPodPs([POD], { now: NOW, format: 'table {{.Id}} {{.Name}} {{.ID}}' }),
      'POD ID        NAME        <no value>\naf434e41f756  my-pod      af434e41f756\n',
    );
    assert.equal(renderPodPs([POD], { now: NOW, format: 'table {{.Name}}', noHeading: true }), 'my-pod\n');
  });

  it('prints full IDs for -q and --no-trunc', () => {
    assert.equal(renderPodPs([POD, P2], { quiet: true }), `${P2.Id}\n${POD.Id}\n`);
    assert.match(renderPodPs([POD], { now: NOW, noTrunc: true }), new RegExp(`^${POD.Id}  my-pod .* ${POD.InfraId}  2$`, 'm'));
  });

  it('sorts newest first by default, else ascending', () => {
    const names = (sort: string) =>
      renderPodPs([POD, P2], { sort, format: '{{.Name}}' })
        .trim()
        .split('\n');
    assert.deepEqual(names('created'), ['p2', 'my-pod']);
    assert.deepEqual(names('name'), ['my-pod', 'p2']);
    assert.deepEqual(names('id'), ['p2', 'my-pod']);
    assert.deepEqual(names('number'), ['p2', 'my-pod']);
    assert.deepEqual(names('status'), ['p2', 'my-pod']);
    assert.throws(() => renderPodPs([POD], { sort: 'size' }), { message: 'invalid option for --sort, options are: id, names, or number' });
  });

  it('passes filters to the engine and checks its flags', async () => {
    let seen: string[] | undefined;
    const engine = { list: async (o?: { filters?: string[] }) => ((seen = o?.filters), [POD, P2]) };
    const r = await runCommand(ps, ['-f', 'status=running,name=my', '--filter', 'label=x', '-q'], engine);
    assert.deepEqual(seen, ['status=running', 'name=my', 'label=x']);
    assert.equal(r.out, `${P2.Id}\n${POD.Id}\n`);
    assert.equal((await runCommand(ps, ['-q', '--format', '{{.ID}}'], engine)).error?.message, 'quiet and format cannot be used together');
    assert.equal((await runCommand(ps, ['-f', 'status'], engine)).error?.message, 'filter input must be in the form of filter=value: status is invalid');
    assert.equal((await runCommand(ps, ['extra'], engine)).error?.message, '`tspod pod ps` takes no arguments');
    assert.equal((await runCommand(ps, ['-l', '--format', '{{.Name}}'], engine)).out, 'p2\n');
  });
});

describe('pod inspect', () => {
  const doc = { Id: POD.Id, Name: 'my-pod', Created: '2026-11-23T11:18:20.042669137Z', State: 'Running', Labels: { a: '<b>' }, Containers: [{ Id: 'c1', Name: 'web1', State: 'running' }] };
  const engine = {
    inspect: async (names: string[]) => names.map((n) => (n === 'my-pod' || n === 'other' ? { ...doc, Name: n } : new NoSuchPodError(`no pod with name or ID ${n} found: no such pod`))),
  };

  it('prints one pod as an object with 5-space indent, several as an array', async () => {
    const one = await runCommand(inspect, ['my-pod'], engine);
    assert.equal(one.out, `${JSON.stringify({ ...doc }, null, 5)}\n`);
    assert.match(one.out, /"a": "<b>"/);
    const two = await runCommand(inspect, ['my-pod', 'other'], engine);
    assert.deepEqual(JSON.parse(two.out).map((d: { Name: string }) => d.Name), ['my-pod', 'other']);
    assert.match(two.out, /^\[\n {5}\{\n {10}"Id"/);
  });

  it('reports missing pods as podman does', async () => {
    const r = await runCommand(inspect, ['my-pod', 'nosuch', 'gone'], engine);
    assert.equal(JSON.parse(r.out).Name, 'my-pod');
    assert.equal(r.err, 'error inspecting object: no such pod gone\n');
    assert.ok(r.error instanceof TspodError);
    assert.equal(r.error.message, 'inspecting object: no such pod nosuch');
    const none = await runCommand(inspect, ['nosuch'], engine);
    assert.equal(none.out, '[]\n');
    assert.equal((await runCommand(inspect, [], engine)).error?.message, 'no names or ids specified');
    assert.equal((await runCommand(inspect, ['-l', 'x'], engine)).error?.message, '--latest and arguments cannot be used together');
  });

  it('runs templates on Go field names', async () => {
    const r = await runCommand(inspect, ['--format', '{{.ID}} {{.Id}} {{.Name}} {{.Namespace}}|{{range .Containers}}{{.ID}}:{{.Name}}{{end}} {{.Created}}', 'my-pod'], engine);
    assert.equal(r.out, `${POD.Id} ${POD.Id} my-pod |c1:web1 2026-11-23 11:18:20.042669137 +0000 UTC\n`);
  });
});

describe('pod actions', () => {
  it('prints the pods that succeeded, then every error; exit 125', async () => {
    const reports: PodActionReport[] = [
      { name: 'a', id: 'aaaa' },
      { name: 'b', id: 'bbbb', containerErrors: [{ id: 'c1', error: new Error('container state improper') }] },
      { name: 'c', id: 'cccc' },
    ];
    const r = await runCommand(start, ['a', 'b', 'c'], { start: async () => reports });
    assert.equal(r.out, 'aaaa\ncccc\n');
    assert.equal(r.err, 'Error: starting container c1: container state improper\n');
    assert.equal(r.code, 125);
    const killed = await runCommand(kill, ['-s', 'TERM', 'b'], { kill: async (_n, o) => (assert.equal(o?.signal, 'TERM'), [reports[1]!]) });
    assert.equal(killed.err, 'Error: killing container c1: container state improper\n');
  });

  it('passes stop flags and checks the targets', async () => {
    let seen: unknown;
    const engine = { stop: async (names: string[], o?: object) => ((seen = { names, ...o }), names.map((n) => ({ name: n, id: `${n}-id` }))) };
    const r = await runCommand(stop, ['-t', '3', '-i', 'p1'], engine);
    assert.deepEqual(seen, { names: ['p1'], all: undefined, latest: undefined, ignore: true, timeout: 3 });
    assert.equal(r.out, 'p1-id\n');
    assert.equal(r.code, 0);
    const dir = mkdtempSync(join(tmpdir(), 'podcli-'));
    writeFileSync(join(dir, 'id'), 'fromfile\nrest\n');
    assert.equal((await runCommand(stop, ['--pod-id-file', join(dir, 'id')], engine)).out, 'fromfile-id\n');
    const bad: Array<[string[], string]> = [
      [[], 'you must provide at least one name or id'],
      [['-a', 'x'], 'no arguments are needed with --all'],
      [['-l', 'x'], '--latest and containers cannot be used together'],
      [['-a', '-l'], '--all and --latest cannot be used together'],
      [['-a', '--pod-id-file', 'f'], '--all, --latest, and --pod-id-file cannot be used together'],
      [['-t', '-1', 'x'], 'invalid argument "-1" for "-t, --time" flag: strconv.ParseUint: parsing "-1": invalid syntax'],
      [['--pod-id-file', join(dir, 'nope')], `reading pod ID file: open ${join(dir, 'nope')}: no such file or directory`],
    ];
    for (const [argv, message] of bad) assert.equal((await runCommand(stop, argv, engine)).error?.message, message, argv.join(' '));
  });

  it('pod rm: a missing pod exits 1, ignored with --force; other errors 125', async () => {
    const missing = new NoSuchPodError('no pod with name or ID nosuch found: no such pod');
    const engine = {
      remove: async (names: string[]) =>
        names.map((n): PodActionReport => (n === 'nosuch' ? { name: n, error: missing } : n === 'busy' ? { name: n, id: 'busy-id', error: new TspodError('pod busy has active containers') } : { name: n, id: `${n}-id` })),
    };
    const r = await runCommand(rm, ['p1', 'nosuch'], engine);
    assert.equal(r.out, 'p1-id\n');
    assert.equal(r.err, 'Error: no pod with name or ID nosuch found: no such pod\n');
    assert.equal(r.code, 1);
    const forced = await runCommand(rm, ['-f', 'p1', 'nosuch'], engine);
    assert.equal(forced.err, '');
    assert.equal(forced.code, 0);
    const busy = await runCommand(rm, ['busy'], engine);
    assert.equal(busy.err, 'Error: pod busy has active containers\n');
    assert.equal(busy.code, 125);
    assert.equal((await runCommand(rm, ['-t', '5', 'p1'], engine)).error?.message, '--force option must be specified to use the --time option');
  });

  it('pod exists exits 0 or 1', async () => {
    const engine = { exists: async (n: string) => n === 'p1' };
    assert.equal((await runCommand(exists, ['p1'], engine)).code, 0);
    assert.equal((await runCommand(exists, ['p2'], engine)).code, 1);
    assert.equal((await runCommand(exists, [], engine)).error?.message, 'accepts 1 arg(s), received 0');
  });

  it('pod top aligns the engine rows', async () => {
    let seen: unknown;
    const engine = {
      top: async (name: string, descriptors: string[]) => (
        (seen = [name, descriptors]),
        [
          ['USER', 'PID', 'COMMAND'],
          ['root', '1', 'sleep'],
        ]
      ),
    };
    const r = await runCommand(top, ['my-pod', 'user', 'pid', 'comm'], engine);
    assert.deepEqual(seen, ['my-pod', ['user', 'pid', 'comm']]);
    assert.equal(r.out, 'USER        PID         COMMAND\nroot        1           sleep\n');
  });
});

describe('pod stats', () => {
  const entry: PodStatsEntry = {
    Pod: 'af434e41f756',
    CID: 'dae793a18bef',
    Name: 'web1',
    CPU: '0.12%',
    MemUsage: '1.2MB / 2GB',
    MemUsageBytes: '1.1MiB / 1.9GiB',
    Mem: '0.06%',
    NetIO: '1kB / 2kB',
    BlockIO: '0B / 0B',
    PIDS: '1',
  };

  it('prints podman columns, dashes when empty', () => {
    assert.equal(
      renderPodStats([entry]),
      'POD           CID           NAME        CPU %       MEM USAGE/ LIMIT  MEM %       NET IO      BLOCK IO    PIDS\n' +
        'af434e41f756  dae793a18bef  web1        0.12%       1.2MB / 2GB       0.06%       1kB / 2kB   0B / 0B     1\n',
    );
    assert.match(renderPodStats([]), /^POD {9}CID {9}NAME.*\n-- {10}-- {10}--/);
  });

  it('prints json in podman field order, and headers on plain templates like podman 4.3', () => {
    const json = renderPodStats([entry], 'json');
    assert.deepEqual(Object.keys(JSON.parse(json)[0]), ['CPU', 'MemUsage', 'MemUsageBytes', 'Mem', 'NetIO', 'BlockIO', 'PIDS', 'Pod', 'CID', 'Name']);
    assert.match(json, /^\[\n {5}\{\n {10}"CPU": "0.12%"/);
    assert.equal(renderPodStats([], 'json'), '[]\n');
    assert.equal(renderPodStats([entry], '{{.Name}} {{.CPU}} {{.Mem}}'), 'NAME CPU % MEM\nweb1 0.12% 0.06%\n');
    assert.equal(renderPodStats([entry], 'table {{.Name}} {{.MemUsage}}'), 'NAME        MEM USAGE/ LIMIT\nweb1        1.2MB / 2GB\n');
  });

  it('prints once when not on a terminal, and rejects mixed targets', async () => {
    let calls = 0;
    const engine = { stats: async (_n: string[], o?: { all?: boolean }) => (calls++, assert.equal(o?.all, true), [entry]) };
    const r = await runCommand(stats, [], engine);
    assert.equal(calls, 1);
    assert.doesNotMatch(r.out, /\x1b/);
    assert.equal((await runCommand(stats, ['-a', 'p1'], engine)).error?.message, '--all, --latest and arguments cannot be used together');
    const once = await runCommand(stats, ['--no-stream'], engine, { tty: true });
    assert.ok(once.out.startsWith('\x1b[2J\x1b[1;1HPOD'));
    assert.ok((await runCommand(stats, ['--no-stream', '--no-reset'], engine, { tty: true })).out.startsWith('POD'));
  });
});

describe('pod create', () => {
  const base: PodCreateFlags = { exitPolicy: 'continue' };
  const options = (flags: Partial<PodCreateFlags>, args: string[] = []): PodCreateOptions => podCreateOptions({ ...base, ...flags }, args, ['tspod']);

  it('maps the flags onto the engine options', () => {
    assert.deepEqual(options({}), { createCommand: ['tspod'], labels: {}, infra: true, exitPolicy: 'continue', share: ['ipc', 'net', 'uts'], shareParent: true });
    const o = options({
      name: 'web',
      publish: ['8080:80'],
      network: ['mynet'],
      dns: ['1.1.1.1'],
      addHost: ['db:10.0.0.5'],
      label: ['a=b', 'c'],
      hostname: 'h1',
      infraImage: 'k8s.gcr.io/pause:3.5',
      infraName: 'web-infra',
      cgroupParent: '/mine',
      exitPolicy: 'stop',
    });
    assert.equal(o.name, 'web');
    assert.deepEqual(o.labels, { a: 'b', c: '' });
    assert.deepEqual(o.network, {
      network: 'bridge',
      networks: { mynet: {} },
      portMappings: [{ host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' }],
      dns: ['1.1.1.1'],
      addHosts: ['db:10.0.0.5'],
    });
    assert.equal(o.hostname, 'h1');
    assert.equal(o.infraImage, 'k8s.gcr.io/pause:3.5');
    assert.equal(o.infraName, 'web-infra');
    assert.equal(o.cgroupParent, '/mine');
    assert.equal(o.exitPolicy, 'stop');
    assert.deepEqual(options({ ip: '10.88.0.9', hosts: false }).network, { networks: { '': { ips: ['10.88.0.9'] } }, noHosts: true });
    assert.equal(options({}, ['named']).name, 'named');
  });

  it('parses --share, with + adding to the default', () => {
    assert.deepEqual(parseShare('+pid'), ['ipc', 'net', 'uts', 'pid']);
    assert.deepEqual(parseShare('net,uts'), ['net', 'uts']);
    assert.deepEqual(options({ share: 'pid,ipc' }).share, ['pid', 'ipc']);
    assert.throws(() => parseShare('foo'), { message: 'invalid kernel namespace to share: foo. Options are: cgroup, ipc, net, pid, uts or none' });
    assert.throws(() => parseShare('mnt'), { message: 'mount sharing functionality not supported on pod level' });
    assert.throws(() => options({ share: '+cgroup' }), { message: "cannot define the pod as the cgroup parent at the same time as joining the infra container's cgroupNS: invalid argument" });
    assert.deepEqual(options({ share: 'cgroup', shareParent: false }).share, ['cgroup']);
  });

  it('drops the infra container when sharing nothing', () => {
    assert.deepEqual(options({ share: 'none' }), { createCommand: ['tspod'], labels: {}, infra: false, exitPolicy: 'continue' });
    assert.equal(options({ infra: false }).infra, false);
    assert.equal(options({ infra: true, share: 'none' }).infra, true);
  });

  it('takes --infra-command as a JSON array or one word', () => {
    assert.deepEqual(options({ infraCommand: '["/pause","-v"]' }).infraCommand, ['/pause', '-v']);
    assert.deepEqual(options({ infraCommand: '/catatonit -P' }).infraCommand, ['/catatonit -P']);
  });

  it('refuses what podman refuses without an infra container', () => {
    const cases: Array<[Partial<PodCreateFlags>, string]> = [
      [{ publish: ['80:80'] }, 'you must have an infra container to publish port bindings to the host'],
      [{ network: ['mynet'] }, 'NoInfra and network modes cannot be used together'],
      [{ share: 'net' }, 'cannot set share(net) namespaces without an infra container'],
      [{ hosts: false }, 'cannot specify --no-hosts without an infra container'],
      [{ ip: '10.0.0.2' }, 'cannot set --ip without infra container: invalid argument'],
      [{ macAddress: '92:d0:c6:0a:29:33' }, 'cannot set --mac without infra container: invalid argument'],
      [{ networkAlias: ['a'] }, 'cannot set networks options without infra container'],
      [{ dns: ['1.1.1.1'] }, 'NoInfra and DNSServer are mutually exclusive pod options: invalid pod spec'],
      [{ dnsSearch: ['example.com'] }, 'NoInfo and DNSSearch are mutually exclusive pod options: invalid pod spec'],
      [{ addHost: ['a:10.0.0.1'] }, 'NoInfra and HostAdd are mutually exclusive pod options: invalid pod spec'],
    ];
    for (const [flags, message] of cases) assert.throws(() => options({ infra: false, ...flags }), { message }, JSON.stringify(flags));
  });

  it('checks names, labels and the exit policy', () => {
    assert.throws(() => options({ name: 'a' }, ['b']), { message: 'cannot specify --name and NAME at the same time' });
    assert.throws(() => options({}, ['a', 'b']), { message: 'accepts at most 1 arg(s), received 2' });
    assert.throws(() => options({ exitPolicy: 'never' }), { message: 'running pod create option: invalid pod exit policy: "never"' });
    assert.throws(() => options({ label: ['=x'] }), { message: /^unable to process labels: / });
  });

  it('runs: parses argv, writes --pod-id-file, refuses an existing one, --replace removes first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podcli-'));
    const file = join(dir, 'pod.id');
    let created: PodCreateOptions | undefined;
    const removed: string[][] = [];
    const engine = {
      create: async (o: PodCreateOptions) => ((created = o), { id: 'f00d', name: o.name ?? 'x' }),
      remove: async (names: string[]) => (removed.push(names), [{ name: names[0]!, error: new NoSuchPodError('no pod with name or ID web found: no such pod') }]),
    };
    const r = await runCommand(create, ['--name', 'web', '-p', '8080:80', '--network', 'n1', '--share', '+pid', '--infra-command', '/pause', '-l', 'k=v', '--pod-id-file', file, '--replace'], engine);
    assert.equal(r.error, undefined);
    assert.equal(r.out, 'f00d\n');
    assert.equal(readFileSync(file, 'utf8'), 'f00d');
    assert.deepEqual(removed, [['web']]);
    assert.equal(created?.name, 'web');
    assert.deepEqual(created?.share, ['ipc', 'net', 'uts', 'pid']);
    assert.deepEqual(created?.infraCommand, ['/pause']);
    assert.deepEqual(created?.labels, { k: 'v' });
    assert.equal(created?.network?.networks?.n1 !== undefined, true);
    const again = await runCommand(create, ['--pod-id-file', file], engine);
    assert.equal(again.error?.message, `pod id file exists. Ensure another pod is not using it or delete ${file}`);
    assert.equal((await runCommand(create, ['--replace'], engine)).error?.message, 'cannot replace pod without --name being set');
    assert.equal((await runCommand(create, ['--no-infra', '-p', '80'], engine)).error?.message, 'you must have an infra container to publish port bindings to the host');
    assert.equal((await runCommand(create, ['--infra=false'], engine)).error, undefined);
    assert.equal(created?.infra, false);
  });
});
