import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import ps, { collectSlice, commandText, renderPs, sortContainers, type PsRenderOptions } from '../../src/cli/commands/container/ps.js';
import { formatPortMappings } from '../../src/engine/network/ports.js';
import type { CommandContext } from '../../src/cli/command.js';
import type { ContainerListOptions, ContainerSummary, Engine } from '../../src/engine/types.js';

const BUSYBOX_ID = '38522e7279fa0259773e3000b2de4a7f6015d7582e92f9911c94c150827681cc';
const BUILDAH = { 'io.buildah.version': '1.28.2' };
const NEVER = -62135596800;
const BUSYBOX_SIZE = 1985472;

function container(name: string, id: string, createdAt: string, created: number, fields: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    AutoRemove: false,
    Command: ['sh'],
    Created: created,
    CreatedAt: createdAt,
    Exited: false,
    ExitedAt: NEVER,
    ExitCode: 0,
    Id: id,
    Image: 'localhost/busybox:latest',
    ImageID: BUSYBOX_ID,
    IsInfra: false,
    Labels: { ...BUILDAH },
    Mounts: [],
    Names: [name],
    Namespaces: {},
    Networks: [],
    Pid: 0,
    Pod: '',
    PodName: '',
    Ports: null,
    Size: { rootFsSize: BUSYBOX_SIZE, rwSize: 0 },
    StartedAt: NEVER,
    State: 'created',
    Status: 'Created',
    ...fields,
  };
}

const PORTS: ContainerSummary['Ports'] = [
  { host_ip: '', container_port: 53, host_port: 5353, range: 1, protocol: 'tcp' },
  { host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' },
  { host_ip: '', container_port: 53, host_port: 5353, range: 1, protocol: 'udp' },
  { host_ip: '127.0.0.1', container_port: 9000, host_port: 9000, range: 3, protocol: 'udp' },
];

/**
 * The containers of a podman 4.3.1 session (`podman ps -a --pod --size --format json`); the expected
 * outputs below are what that podman printed for them at NOW.
 */
const LIST: ContainerSummary[] = [
  container('c1', '1d446649b8ea3f5002839f00b8dde3d3a5915710a859940068abf99fc81f9f99', '2026-11-23 09:06:16.710807696 +0000 UTC', 1795424776, {
    Command: ['sleep', '1000'],
    Labels: { a: '1', b: '2', ...BUILDAH },
    // A summary may say 0 for "never"; podman prints Go's zero time.
    StartedAt: 0,
    ExitedAt: 0,
  }),
  container('c2-run', '8ce5ab71c2ba05e291f7e0a099e210861fd84787a668f5435512d707124050b7', '2026-11-23 09:06:16.758820524 +0000 UTC', 1795424776, {
    Command: ['sleep', '1000'],
    Labels: { a: '3', ...BUILDAH },
    Mounts: ['/data'],
    Pid: 26475,
    Size: { rootFsSize: BUSYBOX_SIZE, rwSize: 12 },
    StartedAt: 1795424776,
    State: 'running',
    Status: 'Up 7 minutes ago',
  }),
  container('c3-exit', '1faa9289ed7b7ec1dfaf53504a4fdc40d47c3067518b12122c796ead4d80addc', '2026-11-23 09:06:16.908536865 +0000 UTC', 1795424776, {
    Command: ['sh', '-c', 'exit 3'],
    Exited: true,
    ExitedAt: 1795424777,
    ExitCode: 3,
    Size: { rootFsSize: BUSYBOX_SIZE, rwSize: 12 },
    StartedAt: 1795424777,
    State: 'exited',
    Status: 'Exited (3) 7 minutes ago',
  }),
  container('c4-long', 'c70fb8963f5e0c87610d69617546a607fab21d7e6879a7df82c8dabefe944a1f', '2026-11-23 09:06:17.110644528 +0000 UTC', 1795424777, {
    Command: ['sh', '-c', 'echo a very long command line here; exit 0'],
    Exited: true,
    ExitedAt: 1795424777,
    Size: { rootFsSize: BUSYBOX_SIZE, rwSize: 12 },
    StartedAt: 1795424777,
    State: 'exited',
    Status: 'Exited (0) 7 minutes ago',
  }),
  container('c5-inpod', '93f50b149aa51ef9fa7c9e1280aee062a64cf3fd7510c85f45bfc06c2c5c330c', '2026-11-23 09:06:17.309386693 +0000 UTC', 1795424777, {
    Command: ['sleep', '1000'],
    Pid: 26593,
    Pod: '4c5c6c4cd33b1c29510702c901d956680204f4581837e5cb3a84c9942138ba71',
    PodName: 'pod1',
    Size: { rootFsSize: BUSYBOX_SIZE, rwSize: 12 },
    StartedAt: 1795424777,
    State: 'running',
    Status: 'Up 7 minutes ago',
  }),
  container('c6', 'a7ce6d1adabbd149a99fb3c2af9ce9e598cefe392dd72d879011bdd7a073f3e9', '2026-11-23 09:06:17.44609819 +0000 UTC', 1795424777, {
    Labels: { a: '', ...BUILDAH },
  }),
  container('cports', 'b945d1ae878e2171b00e93c85f3788182c6eb4d02d347a430b05dbfceaf7eb97', '2026-11-23 09:07:12.514162248 +0000 UTC', 1795424832, {
    Networks: ['podman'],
    Ports: PORTS,
  }),
  container('cbare', '0cec48f23887b5610c9d5c3381e4f207219331414186ba401206539520caac56', '2026-11-23 09:08:19.980308903 +0000 UTC', 1795424899, {
    Command: ['/bin/busybox', 'true'],
    Image: 'localhost/bare:latest',
    ImageID: '7bac445816b29336c2b44d496a86a68d715104a3169f518dccb074772fa8e1cf',
    Labels: null,
    Size: { rootFsSize: 1982256, rwSize: 0 },
  }),
];

const NOW = new Date('2026-11-23T09:14:15Z');
const byName = (name: string): ContainerSummary => LIST.find((c) => c.Names[0] === name)!;
const render = (opts: PsRenderOptions, list = LIST): string => renderPs(list, { now: NOW, ...opts });
const lines = (text: string[]): string => text.map((l) => `${l}\n`).join('');
const names = (list: ContainerSummary[]): string => list.map((c) => c.Names[0]).join(' ');

const DEFAULT_TABLE = [
  "CONTAINER ID  IMAGE                     COMMAND               CREATED        STATUS                    PORTS                                                                                                 NAMES",
  "1d446649b8ea  localhost/busybox:latest  sleep 1000            7 minutes ago  Created                                                                                                                         c1",
  "8ce5ab71c2ba  localhost/busybox:latest  sleep 1000            7 minutes ago  Up 7 minutes ago                                                                                                                c2-run",
  "1faa9289ed7b  localhost/busybox:latest  sh -c exit 3          7 minutes ago  Exited (3) 7 minutes ago                                                                                                        c3-exit",
  "c70fb8963f5e  localhost/busybox:latest  sh -c echo a very...  7 minutes ago  Exited (0) 7 minutes ago                                                                                                        c4-long",
  "93f50b149aa5  localhost/busybox:latest  sleep 1000            7 minutes ago  Up 7 minutes ago                                                                                                                c5-inpod",
  "a7ce6d1adabb  localhost/busybox:latest  sh                    7 minutes ago  Created                                                                                                                         c6",
  "b945d1ae878e  localhost/busybox:latest  sh                    7 minutes ago  Created                   0.0.0.0:5353->53/tcp, 0.0.0.0:8080->80/tcp, 0.0.0.0:5353->53/udp, 127.0.0.1:9000-9002->9000-9002/udp  cports",
  "0cec48f23887  localhost/bare:latest     /bin/busybox true     5 minutes ago  Created                                                                                                                         cbare",
];

const NO_TRUNC_TABLE = [
  "CONTAINER ID                                                      IMAGE                     COMMAND                                           CREATED        STATUS                    PORTS                                                                                                 NAMES",
  "1d446649b8ea3f5002839f00b8dde3d3a5915710a859940068abf99fc81f9f99  localhost/busybox:latest  sleep 1000                                        7 minutes ago  Created                                                                                                                         c1",
  "8ce5ab71c2ba05e291f7e0a099e210861fd84787a668f5435512d707124050b7  localhost/busybox:latest  sleep 1000                                        7 minutes ago  Up 7 minutes ago                                                                                                                c2-run",
  "1faa9289ed7b7ec1dfaf53504a4fdc40d47c3067518b12122c796ead4d80addc  localhost/busybox:latest  sh -c exit 3                                      7 minutes ago  Exited (3) 7 minutes ago                                                                                                        c3-exit",
  "c70fb8963f5e0c87610d69617546a607fab21d7e6879a7df82c8dabefe944a1f  localhost/busybox:latest  sh -c echo a very long command line here; exit 0  7 minutes ago  Exited (0) 7 minutes ago                                                                                                        c4-long",
  "93f50b149aa51ef9fa7c9e1280aee062a64cf3fd7510c85f45bfc06c2c5c330c  localhost/busybox:latest  sleep 1000                                        7 minutes ago  Up 7 minutes ago                                                                                                                c5-inpod",
  "a7ce6d1adabbd149a99fb3c2af9ce9e598cefe392dd72d879011bdd7a073f3e9  localhost/busybox:latest  sh                                                7 minutes ago  Created                                                                                                                         c6",
  "b945d1ae878e2171b00e93c85f3788182c6eb4d02d347a430b05dbfceaf7eb97  localhost/busybox:latest  sh                                                7 minutes ago  Created                   0.0.0.0:5353->53/tcp, 0.0.0.0:8080->80/tcp, 0.0.0.0:5353->53/udp, 127.0.0.1:9000-9002->9000-9002/udp  cports",
  "0cec48f23887b5610c9d5c3381e4f207219331414186ba401206539520caac56  localhost/bare:latest     /bin/busybox true                                 5 minutes ago  Created                                                                                                                         cbare",
];

const SIZE_POD_TABLE = [
  "CONTAINER ID  IMAGE                     COMMAND               CREATED        STATUS                    PORTS                                                                                                 NAMES       POD ID        PODNAME     SIZE",
  "1d446649b8ea  localhost/busybox:latest  sleep 1000            7 minutes ago  Created                                                                                                                         c1                                    0B (virtual 1.99MB)",
  "8ce5ab71c2ba  localhost/busybox:latest  sleep 1000            7 minutes ago  Up 7 minutes ago                                                                                                                c2-run                                12B (virtual 1.99MB)",
  "1faa9289ed7b  localhost/busybox:latest  sh -c exit 3          7 minutes ago  Exited (3) 7 minutes ago                                                                                                        c3-exit                               12B (virtual 1.99MB)",
  "c70fb8963f5e  localhost/busybox:latest  sh -c echo a very...  7 minutes ago  Exited (0) 7 minutes ago                                                                                                        c4-long                               12B (virtual 1.99MB)",
  "93f50b149aa5  localhost/busybox:latest  sleep 1000            7 minutes ago  Up 7 minutes ago                                                                                                                c5-inpod    4c5c6c4cd33b  pod1        12B (virtual 1.99MB)",
  "a7ce6d1adabb  localhost/busybox:latest  sh                    7 minutes ago  Created                                                                                                                         c6                                    0B (virtual 1.99MB)",
  "b945d1ae878e  localhost/busybox:latest  sh                    7 minutes ago  Created                   0.0.0.0:5353->53/tcp, 0.0.0.0:8080->80/tcp, 0.0.0.0:5353->53/udp, 127.0.0.1:9000-9002->9000-9002/udp  cports                                0B (virtual 1.99MB)",
  "0cec48f23887  localhost/bare:latest     /bin/busybox true     5 minutes ago  Created                                                                                                                         cbare                                 0B (virtual 1.98MB)",
];

const TEMPLATE_TABLE = [
  "CONTAINER ID  NAMES       POD ID        PODNAME     LABELS                                  MOUNTS      NETWORKS    PORTS",
  "1d446649b8ea  c1                                    map[a:1 b:2 io.buildah.version:1.28.2]  []                      ",
  "8ce5ab71c2ba  c2-run                                map[a:3 io.buildah.version:1.28.2]      [/data]                 ",
  "1faa9289ed7b  c3-exit                               map[io.buildah.version:1.28.2]          []                      ",
  "c70fb8963f5e  c4-long                               map[io.buildah.version:1.28.2]          []                      ",
  "93f50b149aa5  c5-inpod    4c5c6c4cd33b              map[io.buildah.version:1.28.2]          []                      ",
  "a7ce6d1adabb  c6                                    map[a: io.buildah.version:1.28.2]       []                      ",
  "b945d1ae878e  cports                                map[io.buildah.version:1.28.2]          []          podman      0.0.0.0:5353->53/tcp, 0.0.0.0:8080->80/tcp, 0.0.0.0:5353->53/udp, 127.0.0.1:9000-9002->9000-9002/udp",
  "0cec48f23887  cbare                                 map[]                                   []                      ",
];

const TEMPLATE_LINES = [
  "1d446649b8ea\t38522e7279fa\tsleep 1000\t2026-11-23 09:06:16.710807696 +0000 UTC\t2026-11-23 09:06:16.710807696 +0000 UTC\t-62135596800\t-62135596800\tfalse\t0\t0\tfalse\tfalse\t{      }\t1795424776",
  "8ce5ab71c2ba\t38522e7279fa\tsleep 1000\t2026-11-23 09:06:16.758820524 +0000 UTC\t2026-11-23 09:06:16.758820524 +0000 UTC\t-62135596800\t1795424776\tfalse\t0\t26475\tfalse\tfalse\t{      }\t1795424776",
  "1faa9289ed7b\t38522e7279fa\tsh -c exit 3\t2026-11-23 09:06:16.908536865 +0000 UTC\t2026-11-23 09:06:16.908536865 +0000 UTC\t1795424777\t1795424777\ttrue\t3\t0\tfalse\tfalse\t{      }\t1795424776",
  "c70fb8963f5e\t38522e7279fa\tsh -c echo a very...\t2026-11-23 09:06:17.110644528 +0000 UTC\t2026-11-23 09:06:17.110644528 +0000 UTC\t1795424777\t1795424777\ttrue\t0\t0\tfalse\tfalse\t{      }\t1795424777",
  "93f50b149aa5\t38522e7279fa\tsleep 1000\t2026-11-23 09:06:17.309386693 +0000 UTC\t2026-11-23 09:06:17.309386693 +0000 UTC\t-62135596800\t1795424777\tfalse\t0\t26593\tfalse\tfalse\t{      }\t1795424777",
  "a7ce6d1adabb\t38522e7279fa\tsh\t2026-11-23 09:06:17.44609819 +0000 UTC\t2026-11-23 09:06:17.44609819 +0000 UTC\t-62135596800\t-62135596800\tfalse\t0\t0\tfalse\tfalse\t{      }\t1795424777",
  "b945d1ae878e\t38522e7279fa\tsh\t2026-11-23 09:07:12.514162248 +0000 UTC\t2026-11-23 09:07:12.514162248 +0000 UTC\t-62135596800\t-62135596800\tfalse\t0\t0\tfalse\tfalse\t{      }\t1795424832",
  "0cec48f23887\t7bac445816b2\t/bin/busybox true\t2026-11-23 09:08:19.980308903 +0000 UTC\t2026-11-23 09:08:19.980308903 +0000 UTC\t-62135596800\t-62135596800\tfalse\t0\t0\tfalse\tfalse\t{      }\t1795424899",
];

const TEMPLATE_TIMES = [
  "IMAGE ID      EXIT CODE   AUTO REMOVE  CREATED AT                               STARTED AT    USERNS      STATUS                    STATE                     RUNNING FOR",
  "38522e7279fa  0           false        2026-11-23 09:06:16.710807696 +0000 UTC  -62135596800              Created                   Created                   7 minutes ago",
  "38522e7279fa  0           false        2026-11-23 09:06:16.758820524 +0000 UTC  1795424776                Up 7 minutes ago          Up 7 minutes ago          7 minutes ago",
  "38522e7279fa  3           false        2026-11-23 09:06:16.908536865 +0000 UTC  1795424777                Exited (3) 7 minutes ago  Exited (3) 7 minutes ago  7 minutes ago",
  "38522e7279fa  0           false        2026-11-23 09:06:17.110644528 +0000 UTC  1795424777                Exited (0) 7 minutes ago  Exited (0) 7 minutes ago  7 minutes ago",
  "38522e7279fa  0           false        2026-11-23 09:06:17.309386693 +0000 UTC  1795424777                Up 7 minutes ago          Up 7 minutes ago          7 minutes ago",
  "38522e7279fa  0           false        2026-11-23 09:06:17.44609819 +0000 UTC   -62135596800              Created                   Created                   7 minutes ago",
  "38522e7279fa  0           false        2026-11-23 09:07:12.514162248 +0000 UTC  -62135596800              Created                   Created                   7 minutes ago",
  "7bac445816b2  0           false        2026-11-23 09:08:19.980308903 +0000 UTC  -62135596800              Created                   Created                   5 minutes ago",
];

describe('ps table', () => {
  it('prints podman default columns, 12-character IDs and commands cut at 17 bytes', () => {
    assert.equal(render({}), lines(DEFAULT_TABLE));
  });

  it('prints whole IDs and commands with --no-trunc', () => {
    assert.equal(render({ noTrunc: true }), lines(NO_TRUNC_TABLE));
  });

  it('adds POD ID, PODNAME and SIZE with --pod and --size', () => {
    assert.equal(render({ pod: true, size: true }), lines(SIZE_POD_TABLE));
  });

  it('drops the header with --noheading', () => {
    assert.equal(render({ noHeading: true }), lines(DEFAULT_TABLE.slice(1)));
  });

  it('prints only the header for no containers', () => {
    assert.equal(render({}, []), 'CONTAINER ID  IMAGE       COMMAND     CREATED     STATUS      PORTS       NAMES\n');
  });

  it('prints the namespace columns with --ns', () => {
    const c2 = {
      ...byName('c2-run'),
      Namespaces: { Mnt: '4026532250', Cgroup: '4026531835', Ipc: '4026532252', Net: '4026532254', Pidns: '4026532253', Uts: '4026532251', User: '4026531837' },
    };
    assert.equal(
      render({ ns: true }, [c2]),
      lines([
        'CONTAINER ID  NAMES       PID         CGROUPNS    IPC         MNT         NET         PIDNS       USERNS      UTS',
        '8ce5ab71c2ba  c2-run      26475       4026531835  4026532252  4026532250  4026532254  4026532253  4026531837  4026532251',
      ]),
    );
    assert.equal(
      render({ format: '{{.Namespaces}}|{{.Namespaces.NET}}|{{.NET}}|{{.Cgroup}}|{{.CGROUPNS}}|{{.USERNS}}|{{.User}}' }, [c2]),
      '{4026532250 4026531835 4026532252 4026532254 4026532253 4026532251 4026531837}|4026532254|4026532254|4026531835|4026531835|4026531837|4026531837\n',
    );
  });
});

describe('ps templates', () => {
  it('runs table templates under headers named as podman names them', () => {
    const format = 'table {{.ID}} {{.Names}} {{.Pod}} {{.PodName}} {{.Labels}} {{.Mounts}} {{.Networks}} {{.Ports}}';
    assert.equal(render({ format }), lines(TEMPLATE_TABLE));
  });

  it('prints podman field values: times, exit codes, pids, the empty namespaces struct', () => {
    const format =
      '{{.ID}}\\t{{.ImageID}}\\t{{.Command}}\\t{{.CreatedAt}}\\t{{.Created}}\\t{{.ExitedAt}}\\t{{.StartedAt}}\\t{{.Exited}}\\t{{.ExitCode}}\\t{{.Pid}}\\t{{.AutoRemove}}\\t{{.IsInfra}}\\t{{.Namespaces}}\\t{{.Created.Unix}}';
    assert.equal(render({ format }), lines(TEMPLATE_LINES));
  });

  it('gives State and Status the status text and RunningFor the time since creation', () => {
    const format = 'table {{.ImageID}} {{.ExitCode}} {{.AutoRemove}} {{.CreatedAt}} {{.StartedAt}} {{.User}} {{.Status}} {{.State}} {{.RunningFor}}';
    assert.equal(render({ format }), lines(TEMPLATE_TIMES));
  });

  it('prints sizes with --size, and logs an error for {{.Size}} without', () => {
    assert.equal(
      render({ format: 'table {{.Names}} {{.Size}}', size: true }),
      lines([
        'NAMES       SIZE',
        'c1          0B (virtual 1.99MB)',
        'c2-run      12B (virtual 1.99MB)',
        'c3-exit     12B (virtual 1.99MB)',
        'c4-long     12B (virtual 1.99MB)',
        'c5-inpod    12B (virtual 1.99MB)',
        'c6          0B (virtual 1.99MB)',
        'cports      0B (virtual 1.99MB)',
        'cbare       0B (virtual 1.98MB)',
      ]),
    );
    const warnings: string[] = [];
    const list = [{ ...byName('c1'), Size: null }];
    assert.equal(render({ format: '{{.Names}}|{{.Size}}|', warn: (m) => warnings.push(m) }, list), 'c1||\n');
    assert.deepEqual(warnings, ['Size format requires --size option']);
  });

  it('has no Label method, as podman 4.3.1', () => {
    assert.throws(() => render({ format: '{{.Label "a"}}' }), {
      message: 'template: ps:1:13: executing "ps" at <.Label>: can\'t evaluate field Label in type containers.psReporter',
    });
  });

  it('prints PodName only with --pod', () => {
    assert.equal(render({ format: '{{.Names}} {{.Pod}} {{.PodName}}' }, [byName('c5-inpod')]), 'c5-inpod 4c5c6c4cd33b \n');
    assert.equal(render({ format: '{{.Names}} {{.Pod}} {{.PodName}}', pod: true }, [byName('c5-inpod')]), 'c5-inpod 4c5c6c4cd33b pod1\n');
  });

  it('takes `table` and an empty format as literal text, once a container', () => {
    assert.equal(render({ format: 'table' }, LIST.slice(0, 3)), 'table\ntable\ntable\n');
    assert.equal(render({ format: '' }, LIST.slice(0, 3)), '\n\n\n');
  });

  it('drops headers of table templates with --noheading; plain templates have none', () => {
    assert.equal(render({ format: 'table {{.Names}}', noHeading: true }, LIST.slice(0, 2)), 'c1\nc2-run\n');
    assert.equal(render({ format: '{{.Names}}' }, LIST.slice(0, 2)), 'c1\nc2-run\n');
  });
});

describe('ps --quiet', () => {
  it('prints 12-character IDs, whole ones with --no-trunc', () => {
    assert.equal(render({ quiet: true }, LIST.slice(0, 2)), '1d446649b8ea\n8ce5ab71c2ba\n');
    assert.equal(
      render({ quiet: true, noTrunc: true }, LIST.slice(0, 2)),
      '1d446649b8ea3f5002839f00b8dde3d3a5915710a859940068abf99fc81f9f99\n8ce5ab71c2ba05e291f7e0a099e210861fd84787a668f5435512d707124050b7\n',
    );
  });

  it('gives way to --format', () => {
    assert.equal(render({ quiet: true, format: '{{.Names}}' }, LIST.slice(0, 2)), 'c1\nc2-run\n');
  });
});

describe('ps --format json', () => {
  const C1_JSON = [
    '  {',
    '    "AutoRemove": false,',
    '    "Command": [',
    '      "sleep",',
    '      "1000"',
    '    ],',
    '    "CreatedAt": "7 minutes ago",',
    '    "Exited": false,',
    '    "ExitedAt": -62135596800,',
    '    "ExitCode": 0,',
    '    "Id": "1d446649b8ea3f5002839f00b8dde3d3a5915710a859940068abf99fc81f9f99",',
    '    "Image": "localhost/busybox:latest",',
    '    "ImageID": "38522e7279fa0259773e3000b2de4a7f6015d7582e92f9911c94c150827681cc",',
    '    "IsInfra": false,',
    '    "Labels": {',
    '      "a": "1",',
    '      "b": "2",',
    '      "io.buildah.version": "1.28.2"',
    '    },',
    '    "Mounts": [],',
    '    "Names": [',
    '      "c1"',
    '    ],',
    '    "Namespaces": {',
    '      ',
    '    },',
    '    "Networks": [],',
    '    "Pid": 0,',
    '    "Pod": "",',
    '    "PodName": "",',
    '    "Ports": null,',
    '    "Size": null,',
    '    "StartedAt": -62135596800,',
    '    "State": "created",',
    '    "Status": "Created",',
    '    "Created": 1795424776',
    '  }',
  ];

  it('prints podman entries: keys in its order, two-space indent, the time ago as CreatedAt', () => {
    const c1 = { ...byName('c1'), Size: null, Labels: { b: '2', a: '1', ...BUILDAH } };
    assert.equal(render({ format: 'json' }, [c1]), lines(['[', ...C1_JSON, ']']));
    assert.equal(render({ format: '{{json .}}' }, [c1]), lines(['[', ...C1_JSON, ']']));
    assert.equal(render({ format: ' {{ json }} ' }, [c1]), lines(['[', ...C1_JSON, ']']));
  });

  it('prints ports, networks, pod names with --pod and null labels', () => {
    const now = new Date('2026-11-23T09:16:11Z');
    const list = [
      { ...byName('c5-inpod'), Status: 'Up 9 minutes ago', Size: null },
      { ...byName('cports'), Size: null },
    ];
    const expected = [
      '[',
      '  {',
      '    "AutoRemove": false,',
      '    "Command": [',
      '      "sleep",',
      '      "1000"',
      '    ],',
      '    "CreatedAt": "9 minutes ago",',
      '    "Exited": false,',
      '    "ExitedAt": -62135596800,',
      '    "ExitCode": 0,',
      '    "Id": "93f50b149aa51ef9fa7c9e1280aee062a64cf3fd7510c85f45bfc06c2c5c330c",',
      '    "Image": "localhost/busybox:latest",',
      '    "ImageID": "38522e7279fa0259773e3000b2de4a7f6015d7582e92f9911c94c150827681cc",',
      '    "IsInfra": false,',
      '    "Labels": {',
      '      "io.buildah.version": "1.28.2"',
      '    },',
      '    "Mounts": [],',
      '    "Names": [',
      '      "c5-inpod"',
      '    ],',
      '    "Namespaces": {',
      '      ',
      '    },',
      '    "Networks": [],',
      '    "Pid": 26593,',
      '    "Pod": "4c5c6c4cd33b1c29510702c901d956680204f4581837e5cb3a84c9942138ba71",',
      '    "PodName": "pod1",',
      '    "Ports": null,',
      '    "Size": null,',
      '    "StartedAt": 1795424777,',
      '    "State": "running",',
      '    "Status": "Up 9 minutes ago",',
      '    "Created": 1795424777',
      '  },',
      '  {',
      '    "AutoRemove": false,',
      '    "Command": [',
      '      "sh"',
      '    ],',
      '    "CreatedAt": "8 minutes ago",',
      '    "Exited": false,',
      '    "ExitedAt": -62135596800,',
      '    "ExitCode": 0,',
      '    "Id": "b945d1ae878e2171b00e93c85f3788182c6eb4d02d347a430b05dbfceaf7eb97",',
      '    "Image": "localhost/busybox:latest",',
      '    "ImageID": "38522e7279fa0259773e3000b2de4a7f6015d7582e92f9911c94c150827681cc",',
      '    "IsInfra": false,',
      '    "Labels": {',
      '      "io.buildah.version": "1.28.2"',
      '    },',
      '    "Mounts": [],',
      '    "Names": [',
      '      "cports"',
      '    ],',
      '    "Namespaces": {',
      '      ',
      '    },',
      '    "Networks": [',
      '      "podman"',
      '    ],',
      '    "Pid": 0,',
      '    "Pod": "",',
      '    "PodName": "",',
      '    "Ports": [',
      '      {',
      '        "host_ip": "",',
      '        "container_port": 53,',
      '        "host_port": 5353,',
      '        "range": 1,',
      '        "protocol": "tcp"',
      '      },',
      '      {',
      '        "host_ip": "",',
      '        "container_port": 80,',
      '        "host_port": 8080,',
      '        "range": 1,',
      '        "protocol": "tcp"',
      '      },',
      '      {',
      '        "host_ip": "",',
      '        "container_port": 53,',
      '        "host_port": 5353,',
      '        "range": 1,',
      '        "protocol": "udp"',
      '      },',
      '      {',
      '        "host_ip": "127.0.0.1",',
      '        "container_port": 9000,',
      '        "host_port": 9000,',
      '        "range": 3,',
      '        "protocol": "udp"',
      '      }',
      '    ],',
      '    "Size": null,',
      '    "StartedAt": -62135596800,',
      '    "State": "created",',
      '    "Status": "Created",',
      '    "Created": 1795424832',
      '  }',
      ']',
    ];
    assert.equal(renderPs(list, { format: 'json', pod: true, now }), lines(expected));
    const cbare = renderPs([{ ...byName('cbare'), Size: null }], { format: 'json', now });
    assert.match(cbare, /\n {4}"Labels": null,\n/);
  });

  it('prints namespaces, sizes and HTML-escaped strings', () => {
    const c2 = {
      ...byName('c2-run'),
      Labels: { html: '<a&b>' },
      Namespaces: { Mnt: '4026532250', Cgroup: '4026531835', Ipc: '4026532252', Net: '4026532254', Pidns: '4026532253', Uts: '4026532251', User: '4026531837' },
    };
    const out = render({ format: 'json' }, [c2]);
    assert.ok(out.includes('    "Labels": {\n      "html": "\\u003ca\\u0026b\\u003e"\n    },\n'), out);
    assert.ok(
      out.includes(
        '    "Namespaces": {\n      "Mnt": "4026532250",\n      "Cgroup": "4026531835",\n      "Ipc": "4026532252",\n      "Net": "4026532254",\n      "Pidns": "4026532253",\n      "Uts": "4026532251",\n      "User": "4026531837"\n    },\n',
      ),
      out,
    );
    assert.ok(out.includes('    "Size": {\n      "rootFsSize": 1985472,\n      "rwSize": 12\n    },\n'), out);
  });

  it('prints [] for no containers', () => {
    assert.equal(render({ format: 'json' }, []), '[]\n');
  });
});

describe('ps --sort', () => {
  it('orders as podman does, ties kept in listing order', () => {
    assert.equal(names(sortContainers(LIST, 'names')), 'c1 c2-run c3-exit c4-long c5-inpod c6 cbare cports');
    assert.equal(names(sortContainers(LIST, 'command')), 'cbare c6 cports c4-long c3-exit c1 c2-run c5-inpod');
    assert.equal(names(sortContainers(LIST, 'status')), 'c1 c6 cports cbare c3-exit c4-long c2-run c5-inpod');
    assert.equal(names(sortContainers(LIST, 'id')), 'cbare c1 c3-exit c2-run c5-inpod c6 cports c4-long');
    assert.equal(names(sortContainers(LIST, 'runningfor')), 'c1 c6 cports cbare c2-run c3-exit c4-long c5-inpod');
    assert.equal(names(sortContainers(LIST, 'size')), 'cbare c1 c2-run c3-exit c4-long c5-inpod c6 cports');
    assert.equal(names(sortContainers([...LIST].reverse(), 'created')), 'c1 c2-run c3-exit c4-long c5-inpod c6 cports cbare');
  });

  it('sorts the table', () => {
    assert.equal(render({ sort: 'names' }), lines([...DEFAULT_TABLE.slice(0, 7), DEFAULT_TABLE[8]!, DEFAULT_TABLE[7]!]));
  });
});

describe('ps helpers', () => {
  it('formats ports as podman, ranges and comma-separated protocols included', () => {
    assert.equal(formatPortMappings(PORTS), '0.0.0.0:5353->53/tcp, 0.0.0.0:8080->80/tcp, 0.0.0.0:5353->53/udp, 127.0.0.1:9000-9002->9000-9002/udp');
    assert.equal(formatPortMappings([{ host_ip: '', container_port: 53, host_port: 53, range: 1, protocol: 'tcp,udp' }]), '0.0.0.0:53->53/tcp, 0.0.0.0:53->53/udp');
    assert.equal(formatPortMappings(null), '');
    assert.equal(formatPortMappings([]), '');
  });

  it('cuts commands longer than 17 bytes', () => {
    assert.equal(commandText(['sh', '-c', 'echo a very long command line here; exit 0']), 'sh -c echo a very...');
    assert.equal(commandText(['12345678901234567']), '12345678901234567');
    assert.equal(commandText(['123456789012345678']), '12345678901234567...');
    assert.equal(commandText(['sh', '-c', 'echo a very long command line here; exit 0'], true), 'sh -c echo a very long command line here; exit 0');
    assert.equal(commandText(null), '');
  });

  it('splits --filter values on commas as a CSV record', () => {
    assert.deepEqual(collectSlice('name=c1,name=c2', undefined), ['name=c1', 'name=c2']);
    assert.deepEqual(collectSlice('"label=a=1,b"', ['x=y']), ['x=y', 'label=a=1,b']);
    assert.deepEqual(collectSlice('"a ""q"" b",c', undefined), ['a "q" b', 'c']);
    assert.deepEqual(collectSlice('', undefined), []);
  });
});

describe('ps command', () => {
  async function runPs(argv: string[], list: ContainerSummary[] = LIST): Promise<{ out: string; err: string; calls: ContainerListOptions[] }> {
    const cmd = new Command('tspod ps');
    ps.configure(cmd);
    cmd.exitOverride();
    let args: string[] = [];
    cmd.action((...params: unknown[]) => {
      args = (params[params.length - 1] as Command).args;
    });
    cmd.parse(argv, { from: 'user' });
    const calls: ContainerListOptions[] = [];
    const result = { out: '', err: '', calls };
    const engine = { containers: { list: async (opts: ContainerListOptions) => (calls.push(opts), list) } } as unknown as Engine;
    const ctx: CommandContext = {
      globals: {} as CommandContext['globals'],
      engine: async () => engine,
      out: (text) => void (result.out += text),
      err: (text) => void (result.err += text),
      stdoutIsTty: false,
      stderrIsTty: false,
    };
    await ps.run(ctx, args, cmd.opts());
    return result;
  }

  it('lists running containers unless --all, a status filter or --last asks for all', async () => {
    const cases: Array<[string[], ContainerListOptions]> = [
      [['-q'], { all: false, filters: [], last: undefined, size: false }],
      [['-a', '-q'], { all: true, filters: [], last: undefined, size: false }],
      [['-f', 'name=c1,name=c2', '--filter', 'label=a', '-q'], { all: false, filters: ['name=c1', 'name=c2', 'label=a'], last: undefined, size: false }],
      [['-f', 'status=exited', '-q'], { all: true, filters: ['status=exited'], last: undefined, size: false }],
      [['-l', '-q'], { all: true, filters: [], last: 1, size: false }],
      [['-n', '3', '-q'], { all: true, filters: [], last: 3, size: false }],
      [['-n', '0', '-q'], { all: false, filters: [], last: undefined, size: false }],
      [['-s', '--format', '{{.ID}}'], { all: false, filters: [], last: undefined, size: true }],
    ];
    for (const [argv, expected] of cases) assert.deepEqual((await runPs(argv)).calls, [expected], argv.join(' '));
  });

  it('prints what the engine listed', async () => {
    assert.equal((await runPs(['-q'], LIST.slice(0, 2))).out, '1d446649b8ea\n8ce5ab71c2ba\n');
    assert.equal((await runPs(['--format', 'json'], [])).out, '[]\n');
    assert.equal((await runPs(['--sort', 'names', '--format', '{{.Names}}'], [byName('cports'), byName('c1')])).out, 'c1\ncports\n');
    assert.equal((await runPs(['--external', '--sync', '--format', '{{.Names}}'], [byName('c1')])).out, 'c1\n');
  });

  it('logs {{.Size}} without --size on stderr as podman does', async () => {
    const { out, err } = await runPs(['--format', '{{.Size}}'], [{ ...byName('c1'), Size: null }]);
    assert.equal(out, '\n');
    assert.match(err, /^time=".*" level=error msg="Size format requires --size option"\n$/);
  });

  it('rejects flag combinations with podman messages', async () => {
    const cases: Array<[string[], string]> = [
      [['-n', '1', '-l'], 'last and latest are mutually exclusive'],
      [['-n', '0', '-l'], 'last and latest are mutually exclusive'],
      [['-q', '-s'], 'quiet conflicts with size and namespace'],
      [['-q', '--ns'], 'quiet conflicts with size and namespace'],
      [['-s', '--ns'], 'size and namespace options conflict'],
      [['-w', '1', '-l'], 'the watch and latest flags cannot be used together'],
      [['--sort', 'foo'], 'invalid argument "foo" for "--sort" flag: "foo" is not a valid value.  Choose from: "command, created, id, image, names, runningfor, size, status"'],
      [['foo'], '`tspod ps` takes no arguments'],
      [['-n', 'x'], 'invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid syntax'],
    ];
    for (const [argv, message] of cases) await assert.rejects(runPs(argv), { name: 'InvalidArgumentError', message }, argv.join(' '));
  });
});
