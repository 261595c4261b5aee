import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox } from './harness.js';

// Config operations only: no containers, no bridges, nothing outside the sandbox's network dir.
const box = new Sandbox('networks');
// These tests look at Podman's built-in default network, not the sandbox's pinned copy.
rmSync(join(box.networkDir, 'podman.json'));
after(() => box.cleanup());

/** A subnet of this sandbox's own, so parallel sandboxes never compare against each other's. */
const mySubnet = `10.199.${box.netSlot & 255}.0/24`;
const myGateway = mySubnet.replace('0/24', '1');

function fail(args: string[], code: number, stderr: RegExp, input?: string): string {
  const r = box.run(args, { input });
  assert.equal(r.code, code, `tspod ${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
  assert.match(r.stderr, stderr);
  return r.stdout;
}

test('network ls shows the default network', () => {
  assert.equal(box.ok(['network', 'ls']), 'NETWORK ID    NAME        DRIVER\n2f259bab93aa  podman      bridge\n');
  assert.equal(box.ok(['network', 'list', '-q']), 'podman\n');
  assert.equal(box.ok(['network', 'ls', '--noheading']), '2f259bab93aa  podman      bridge\n');
});

test('network create writes a Podman-format file and prints the name', () => {
  assert.equal(box.ok(['network', 'create', '--subnet', mySubnet, 'pmtest']), 'pmtest\n');
  const text = readFileSync(join(box.networkDir, 'pmtest.json'), 'utf8');
  const expected = [
    '{',
    '     "name": "pmtest",',
    '     "id": "ID",',
    '     "driver": "bridge",',
    '     "network_interface": "BRIDGE",',
    '     "created": "CREATED",',
    '     "subnets": [',
    '          {',
    `               "subnet": "${mySubnet}",`,
    `               "gateway": "${myGateway}"`,
    '          }',
    '     ],',
    '     "ipv6_enabled": false,',
    '     "internal": false,',
    '     "dns_enabled": true,',
    '     "ipam_options": {',
    '          "driver": "host-local"',
    '     }',
    '}',
    '',
  ].join('\n');
  assert.equal(
    text.replace(/"id": "[0-9a-f]{64}"/, '"id": "ID"').replace(/"created": "[^"]+"/, '"created": "CREATED"').replace(/"network_interface": "podman\d+"/, '"network_interface": "BRIDGE"'),
    expected,
  );
  assert.ok(existsSync(join(box.networkDir, 'netavark.lock')));
  assert.deepEqual(readdirSync(box.networkDir).filter((f) => f.includes('tmp')), [], 'no temp files left');
});

test('network create refuses bad input with one line and exit 125', () => {
  fail(['network', 'create', 'pmtest'], 125, /^Error: network name pmtest already used: network already exists\n$/);
  fail(['network', 'create', 'bad name'], 125, /^Error: network name bad name invalid: names must match/);
  fail(['network', 'create', '--subnet', mySubnet.replace('0/24', '128/25'), 'overlap'], 125, /is already used on the host or by another config\n$/);
  fail(['network', 'create', '-d', 'ipvlan', 'iv'], 125, /^Error: unsupported driver ipvlan/);
  fail(['network', 'create', '--gateway', '10.0.0.1', 'gw'], 125, /^Error: cannot set gateway or range without subnet/);
  fail(['network', 'create', 'host'], 125, /^Error: cannot create network with name "host" because it conflicts with a valid network mode\n$/);
  fail(['network', 'create', '-o', 'foo=bar', 'opt'], 125, /^Error: unsupported bridge network option foo/);
  fail(['network', 'create', '--label', '=x', 'lab'], 125, /^Error: failed to parse labels: invalid label format: "=x"/);
  fail(['network', 'create', 'a', 'b'], 125, /^Error: accepts at most 1 arg\(s\), received 2\n$/);
  assert.equal(box.ok(['network', 'create', '--ignore', 'pmtest']), 'pmtest\n');
});

test('network ls sorts by name and takes --format, --filter and --no-trunc', () => {
  box.ok(['network', 'create', '--label', 'app=web', '--internal', 'alpha']);
  const table = box.ok(['network', 'ls']).split('\n');
  assert.equal(table[0], 'NETWORK ID    NAME        DRIVER');
  assert.deepEqual(table.slice(1, -1).map((l) => l.split(/\s+/)[1]), ['alpha', 'pmtest', 'podman']);
  assert.equal(box.ok(['network', 'ls', '--format', '{{.Name}} {{.Labels}} {{.Internal}}']), 'alpha app=web true\npmtest  false\npodman  false\n');
  assert.equal(box.ok(['network', 'ls', '--filter', 'label=app=web', '-q']), 'alpha\n');
  assert.equal(box.ok(['network', 'ls', '--filter', 'name=^pm', '--format', '{{.Name}}']), 'pmtest\n');
  assert.equal(box.ok(['network', 'ls', '--filter', 'id=2f259bab', '--no-trunc', '--format', '{{.ID}}']), '2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9\n');
  assert.match(box.ok(['network', 'ls', '--format', 'table {{.Name}} {{.NetworkInterface}}', '--filter', 'name=pmtest']), /^NAME {8}NETWORK INTERFACE\npmtest {6}podman\d+\n$/);
  const json = box.ok(['network', 'ls', '--format', 'json']);
  assert.match(json, /^\[\n  \{\n    "name": "alpha",\n/);
  assert.deepEqual((JSON.parse(json) as Array<{ name: string }>).map((n) => n.name), ['alpha', 'pmtest', 'podman']);
  fail(['network', 'ls', '--filter', 'foo=bar'], 125, /^Error: invalid filter "foo"\n$/);
  fail(['network', 'ls', '--filter', 'foo'], 125, /^Error: filter input must be in the form of filter=value: foo is invalid\n$/);
  fail(['network', 'ls', 'extra'], 125, /takes no arguments/);
});

test('network inspect prints a 5-space JSON array and takes --format', () => {
  const out = box.ok(['network', 'inspect', 'pmtest', 'podman']);
  assert.match(out, /^\[\n {5}\{\n {10}"name": "pmtest",\n {10}"id": "[0-9a-f]{64}",\n/);
  const parsed = JSON.parse(out) as Array<{ name: string; subnets: Array<{ subnet: string }> }>;
  assert.deepEqual(parsed.map((n) => n.name), ['pmtest', 'podman']);
  assert.equal(parsed[0]!.subnets[0]!.subnet, mySubnet);
  assert.equal(box.ok(['network', 'inspect', '--format', '{{.Name}} {{range .Subnets}}{{.Subnet}} {{.Gateway}}{{end}}', 'pmtest']), `pmtest ${mySubnet} ${myGateway}\n`);
  assert.equal(box.ok(['network', 'inspect', '-f', '{{.Labels}} {{.IPAMOptions}}', 'alpha']), 'map[app:web] map[driver:host-local]\n');
  const missing = box.run(['network', 'inspect', 'nothere']);
  assert.equal(missing.code, 125);
  assert.equal(missing.stdout, '[]\n');
  assert.equal(missing.stderr, 'Error: inspecting object: network nothere: unable to find network with name or ID nothere: network not found\n');
  fail(['network', 'inspect'], 125, /^Error: requires at least 1 arg\(s\), only received 0\n$/);
});

test('network --help lists the commands', () => {
  assert.match(box.ok(['network', '--help']), /Available Commands:[\s\S]*create[\s\S]*reload/);
  for (const verb of ['create', 'ls', 'inspect', 'rm', 'prune', 'exists', 'connect', 'disconnect', 'reload']) {
    assert.match(box.ok(['network', verb, '--help']), /Usage:/);
  }
});

test('network exists exits 0 or 1', () => {
  assert.equal(box.run(['network', 'exists', 'pmtest']).code, 0);
  assert.equal(box.run(['network', 'exists', 'podman']).code, 0);
  const r = box.run(['network', 'exists', 'nothere']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', '']);
});

test('network rm removes, with podman exit codes', () => {
  box.ok(['network', 'create', 'gone1']);
  box.ok(['network', 'create', 'gone2']);
  const r = box.run(['network', 'rm', 'gone1', 'nothere', 'gone2']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, 'gone1\ngone2\n');
  assert.equal(r.stderr, 'Error: unable to find network with name or ID nothere: network not found\n');
  assert.ok(!existsSync(join(box.networkDir, 'gone1.json')));
  assert.equal(box.run(['network', 'rm', '-f', 'nothere']).code, 0);
  fail(['network', 'rm', 'podman'], 125, /^Error: default network podman cannot be removed\n$/);
  fail(['network', 'rm', '-t', '5', 'pmtest'], 125, /^Error: --force option must be specified to use the --time option\n$/);
  fail(['network', 'remove'], 125, /requires at least 1 arg/);
});

test('network prune asks first, then removes unused networks but not the default', () => {
  const declined = box.run(['network', 'prune'], { input: 'n\n' });
  assert.equal(declined.code, 0);
  assert.equal(declined.stdout, 'WARNING! This will remove all networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
  assert.equal(box.ok(['network', 'ls', '-q']), 'alpha\npmtest\npodman\n');
  fail(['network', 'prune', '-f', '--filter', 'dangling=true'], 125, /^Error: invalid filter "dangling"\n$/);
  assert.equal(box.ok(['network', 'prune', '-f', '--filter', 'label=app=web']), 'alpha\n');
  assert.equal(box.ok(['network', 'prune'], { input: 'y\n' }).split('\n').slice(-2).join('\n'), 'Are you sure you want to continue? [y/N] pmtest\n');
  assert.equal(box.ok(['network', 'ls', '-q']), 'podman\n');
  assert.equal(box.ok(['network', 'prune', '-f']), '');
});

test('a malformed file in the network dir is skipped with a warning', () => {
  box.ok(['network', 'create', 'ok1']);
  writeFileSync(join(box.networkDir, 'broken.json'), '{ nope');
  const listed = box.run(['network', 'ls', '-q']);
  assert.equal(listed.code, 0);
  assert.equal(listed.stdout, 'ok1\npodman\n');
  assert.match(listed.stderr, /^WARN\[0000\] Error reading network config file ".*broken\.json": /);
});
