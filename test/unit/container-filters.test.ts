import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { filterContainers } from '../../src/engine/local/containerFilters.js';
import type { ContainerSummary } from '../../src/engine/types.js';

const BUSYBOX_ID = '38522e7279fa0259773e3000b2de4a7f6015d7582e92f9911c94c150827681cc';
const BUILDAH = { 'io.buildah.version': '1.28.2' };
const POD_ID = '4c5c6c4cd33b1c29510702c901d956680204f4581837e5cb3a84c9942138ba71';

function container(name: string, id: string, createdAt: string, fields: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    AutoRemove: false,
    Command: ['sh'],
    Created: Math.floor(Date.parse(createdAt.slice(0, 19).replace(' ', 'T') + 'Z') / 1000),
    CreatedAt: createdAt,
    Exited: false,
    ExitedAt: -62135596800,
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
    Size: null,
    StartedAt: -62135596800,
    State: 'created',
    Status: 'Created',
    ...fields,
  };
}

/** The containers of a podman 4.3.1 session; each expectation below is what its `ps -a --filter` printed. */
const LIST: ContainerSummary[] = [
  container('c1', '1d446649b8ea3f5002839f00b8dde3d3a5915710a859940068abf99fc81f9f99', '2026-11-23 09:06:16.710807696 +0000 UTC', {
    Labels: { a: '1', b: '2', ...BUILDAH },
  }),
  container('c2-run', '8ce5ab71c2ba05e291f7e0a099e210861fd84787a668f5435512d707124050b7', '2026-11-23 09:06:16.758820524 +0000 UTC', {
    Labels: { a: '3', ...BUILDAH },
    Mounts: ['/data'],
    State: 'running',
  }),
  container('c3-exit', '1faa9289ed7b7ec1dfaf53504a4fdc40d47c3067518b12122c796ead4d80addc', '2026-11-23 09:06:16.908536865 +0000 UTC', {
    State: 'exited',
    Exited: true,
    ExitCode: 3,
  }),
  container('c4-long', 'c70fb8963f5e0c87610d69617546a607fab21d7e6879a7df82c8dabefe944a1f', '2026-11-23 09:06:17.110644528 +0000 UTC', {
    State: 'exited',
    Exited: true,
  }),
  container('c5-inpod', '93f50b149aa51ef9fa7c9e1280aee062a64cf3fd7510c85f45bfc06c2c5c330c', '2026-11-23 09:06:17.309386693 +0000 UTC', {
    State: 'running',
    Pod: POD_ID,
    PodName: 'pod1',
  }),
  container('c6', 'a7ce6d1adabbd149a99fb3c2af9ce9e598cefe392dd72d879011bdd7a073f3e9', '2026-11-23 09:06:17.44609819 +0000 UTC', {
    Labels: { a: '', ...BUILDAH },
  }),
  container('cports', 'b945d1ae878e2171b00e93c85f3788182c6eb4d02d347a430b05dbfceaf7eb97', '2026-11-23 09:07:12.514162248 +0000 UTC', {
    Networks: ['podman'],
  }),
  container('cbare', '0cec48f23887b5610c9d5c3381e4f207219331414186ba401206539520caac56', '2026-11-23 09:08:19.980308903 +0000 UTC', {
    Image: 'localhost/bare:latest',
    ImageID: '7bac445816b29336c2b44d496a86a68d715104a3169f518dccb074772fa8e1cf',
    Labels: null,
  }),
];

// Dates without a zone are local time, as in podman; the expectations were taken in UTC.
process.env.TZ = 'UTC';

const NOW = new Date('2026-11-23T09:14:15Z');
const ALL = 'c1 c2-run c3-exit c4-long c5-inpod c6 cports cbare';

const names = (filters: string[], list = LIST): string => filterContainers(list, filters, NOW).map((c) => c.Names[0]).join(' ');

function expectCases(cases: Array<[string[], string]>): void {
  for (const [filters, expected] of cases) assert.equal(names(filters), expected, filters.join(' '));
}

function expectErrors(cases: Array<[string[], string]>): void {
  for (const [filters, message] of cases) assert.throws(() => names(filters), { name: 'InvalidArgumentError', message }, filters.join(' '));
}

describe('filterContainers', () => {
  it('keeps everything without filters', () => {
    assert.equal(names([]), ALL);
  });

  it('rejects malformed filters and unknown keys with podman messages', () => {
    expectErrors([
      [['foo'], 'invalid filter "foo"'],
      [['foo=bar'], 'foo is an invalid filter'],
    ]);
  });

  it('id and name: unanchored regular expressions, any value matching', () => {
    expectCases([
      [['id=1d44'], 'c1'],
      [['id=49b8'], 'c1'],
      [['id=^1d'], 'c1'],
      [['name=c'], ALL],
      [['name=^c'], ALL],
      [['name=run$'], 'c2-run'],
      [['name=['], ''],
      [['name=(?i)C2'], 'c2-run'],
      [['name='], ALL],
      [['name=c1', 'name=c2'], 'c1 c2-run'],
    ]);
  });

  it('label: every value must match; key alone, empty value, globbed key', () => {
    expectCases([
      [['label=a', 'label=b'], 'c1'],
      [['label=a='], 'c1 c2-run c6'],
      [['label=a=1', 'label=b=2'], 'c1'],
      [['label=a=1', 'label=b=3'], ''],
      [['label=a*'], 'c1 c2-run c3-exit c4-long c5-inpod c6 cports'],
      [['label='], ''],
      [['label=io.buildah*'], 'c1 c2-run c3-exit c4-long c5-inpod c6 cports'],
      [['label=*build*=1.28.2'], 'c1 c2-run c3-exit c4-long c5-inpod c6 cports'],
    ]);
  });

  it('label!: none of the values may match (later podman; 4.3.1 rejects the key)', () => {
    expectCases([
      [['label!=a'], 'c3-exit c4-long c5-inpod cports cbare'],
      [['label!=a=1'], 'c2-run c3-exit c4-long c5-inpod c6 cports cbare'],
      [['label!=a', 'label!=io.buildah.version'], 'cbare'],
    ]);
  });

  it('exited: exited containers with one of the codes', () => {
    expectCases([
      [['exited=3', 'exited=0'], 'c3-exit c4-long'],
      [['exited=0'], 'c4-long'],
      [['exited=+3'], 'c3-exit'],
    ]);
    expectErrors([
      [['exited=abc'], `exited code out of range '\\x00': strconv.ParseInt: parsing "abc": invalid syntax`],
      [['exited=99999999999'], `exited code out of range '\uFFFD': strconv.ParseInt: parsing "99999999999": value out of range`],
    ]);
  });

  it('status: podman state names, stopped meaning exited', () => {
    expectCases([
      [['status=stopped'], 'c3-exit c4-long'],
      [['status=created'], 'c1 c6 cports cbare'],
      [['status=initialized'], ''],
      [['status=running', 'status=created'], 'c1 c2-run c5-inpod c6 cports cbare'],
    ]);
    expectErrors([
      [['status=bogus'], 'unknown container state: bogus: invalid argument'],
      [['status=configured'], 'unknown container state: configured: invalid argument'],
    ]);
  });

  it('status: a container in state configured counts as created, stopped as exited', () => {
    const list = [container('x', 'aa', LIST[0]!.CreatedAt, { State: 'configured' }), container('y', 'bb', LIST[0]!.CreatedAt, { State: 'stopped', Exited: true })];
    assert.equal(names(['status=created'], list), 'x');
    assert.equal(names(['status=exited'], list), 'y');
    assert.equal(names(['status=stopped'], list), 'y');
  });

  it('ancestor: what podman 4.3.1 matches', () => {
    expectCases([
      [['ancestor=localhost/busybox'], 'c1 c2-run c3-exit c4-long c5-inpod c6 cports'],
      [['ancestor=localhost/busybox:latest'], 'c1 c2-run c3-exit c4-long c5-inpod c6 cports'],
      [[`ancestor=${BUSYBOX_ID}`], 'c1 c2-run c3-exit c4-long c5-inpod c6 cports'],
      [['ancestor=localhost/bare'], 'cbare'],
      [['ancestor=localhost/busybox', 'ancestor=localhost/bare'], ALL],
    ]);
  });

  it('ancestor: also short names and ID prefixes, as Docker and later podman', () => {
    expectCases([
      [['ancestor=busybox'], 'c1 c2-run c3-exit c4-long c5-inpod c6 cports'],
      [['ancestor=busybox:latest'], 'c1 c2-run c3-exit c4-long c5-inpod c6 cports'],
      [['ancestor=7bac44'], 'cbare'],
      [['ancestor=sha256:7bac44'], 'cbare'],
      [['ancestor=busybox:1.36'], ''],
      [['ancestor=busy'], ''],
    ]);
    const hub = [container('h', 'cc', LIST[0]!.CreatedAt, { Image: 'docker.io/library/alpine:3.19' })];
    assert.equal(names(['ancestor=alpine:3.19'], hub), 'h');
    assert.equal(names(['ancestor=alpine'], hub), '');
  });

  it('before and since: the earliest of the named containers, by name, ID or unique prefix', () => {
    expectCases([
      [['before=c3-exit'], 'c1 c2-run'],
      [['since=c3-exit'], 'c4-long c5-inpod c6 cports cbare'],
      [['before=c3-exit', 'before=c5-inpod'], 'c1 c2-run'],
      [['since=c3-exit', 'since=c5-inpod'], 'c4-long c5-inpod c6 cports cbare'],
      [['since=1faa'], 'c4-long c5-inpod c6 cports cbare'],
      [['before=c3-exit', 'since=c1'], 'c2-run'],
    ]);
    expectErrors([
      [['since=nope'], 'no container with name or ID "nope" found: no such container'],
      [['since=1'], 'more than one result for container ID 1: container already exists'],
      [['since='], 'name or ID cannot be empty'],
    ]);
  });

  it('until: timestamps and dates as podman parses them', () => {
    expectCases([
      [['until=2020-01-01'], ''],
      [['until=4102444800'], ALL],
      [['until=2026-11-23T09'], ''],
      [['until=2026-11-23T09:06:17'], 'c1 c2-run c3-exit'],
      [['until=2026-11-23T09:06:17.5Z'], 'c1 c2-run c3-exit c4-long c5-inpod c6'],
      [['until=2026-11-23T9:06:17Z'], 'c1 c2-run c3-exit'],
      [['until=1795424777'], 'c1 c2-run c3-exit'],
      [['until=1795424777.5'], 'c1 c2-run c3-exit c4-long c5-inpod c6'],
      [['until=0'], ''],
      [['until=2026-11-23T09:06:17+00:00'], 'c1 c2-run c3-exit'],
      [['until=2026-11-23T09:06:17+01:00'], ''],
      [['until=2026-11-23T09:06:17-01:00'], ALL],
      [['until=2026-11-23T09:06:17.3'], 'c1 c2-run c3-exit c4-long'],
    ]);
    expectErrors([
      [['until=1h', 'until=2h'], 'specify exactly one timestamp for until'],
      [['until=xyz'], 'failed to parse value as time or duration: "xyz"'],
      [['until=1x'], 'failed to parse value as time or duration: "1x"'],
      [['until=2099-13-01'], 'parsing time "2099-13-01": month out of range'],
      [['until=2026-11-23Tx'], 'parsing time "2026-11-23Tx" as "2006-01-02T15": cannot parse "x" as "15"'],
      [['until=2026-02-30'], 'parsing time "2026-02-30": day out of range'],
      [['until=2026-11-23T09:06:17Zjunk'], 'parsing time "2026-11-23T09:06:17Zjunk": extra text: "junk"'],
      [['until=2026-11-23T25:06:17Z'], 'parsing time "2026-11-23T25:06:17Z": hour out of range'],
    ]);
  });

  it('until: a Go duration before now', () => {
    // NOW is 09:14:15; cbare was created at 09:08:19, the others by 09:07:12.
    expectCases([
      [['until=1s'], ALL],
      [['until=-1h'], ALL],
      [['until=1h'], ''],
      [['until=1h30m'], ''],
      [['until=5m'], ALL],
      [['until=6m'], 'c1 c2-run c3-exit c4-long c5-inpod c6 cports'],
      [['until=7m30s'], 'c1 c2-run c3-exit c4-long c5-inpod c6'],
    ]);
  });

  it('pod: by name, ID or ID prefix; unknown pods match nothing', () => {
    expectCases([
      [['pod=pod1'], 'c5-inpod'],
      [['pod=4c5c'], 'c5-inpod'],
      [[`pod=${POD_ID}`], 'c5-inpod'],
      [['pod=nopod'], ''],
      [['pod=nopod', 'pod=pod1'], 'c5-inpod'],
    ]);
  });

  it('network, volume and health', () => {
    expectCases([
      [['network=podman'], 'cports'],
      [['network=none'], ''],
      [['volume=/tmp:/data'], 'c2-run'],
      [['volume=/data'], 'c2-run'],
      [['volume=/other'], ''],
      [['health=none'], ''],
      [['health=healthy'], ''],
    ]);
  });

  it('restart-policy: validated, not evaluated', () => {
    expectCases([[['restart-policy=always'], ALL]]);
    expectErrors([
      [['restart-policy=bogus'], 'bogus invalid restart policy'],
      [['restart-policy=always', 'restart-policy=x', 'restart-policy=y'], 'x, y invalid restart policies'],
    ]);
  });

  it('ANDs different keys', () => {
    expectCases([
      [['status=running', 'name=c2'], 'c2-run'],
      [['status=exited', 'name=c3'], 'c3-exit'],
      [['status=exited', 'label=a'], ''],
      [['label=a', 'status=created', 'name=c', 'name=x'], 'c1 c6'],
    ]);
  });
});
