import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, normalizeProjectName } from '../../src/compose/loader.js';

function project(files: Record<string, string>, opts: { files?: string[]; env?: Record<string, string>; profiles?: string[]; projectName?: string; dirName?: string } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'compose-unit-'));
  const dir = join(root, opts.dirName ?? 'My.Project');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return loadProject({ cwd: dir, env: opts.env ?? {}, files: opts.files, profiles: opts.profiles, projectName: opts.projectName });
}

test('the override file merges by the specification rules', () => {
  const p = project({
    'compose.yaml': `
services:
  web:
    image: app:1
    command: ["a", "b"]
    environment: [A=1, B=2]
    labels: {x: "1"}
    ports: ["8080:80", "127.0.0.1:9090:90"]
    volumes: ["data:/data", "./src:/src:ro"]
    dns: [1.1.1.1]
    depends_on: [db]
  db: {image: db}
volumes: {data: {}}
`,
    'compose.override.yaml': `
services:
  web:
    image: app:2
    command: c
    environment: {B: "3", C: "4"}
    labels: [y=2]
    ports: ["8081:80", "127.0.0.1:9090:90"]
    volumes: [{type: bind, source: ./other, target: /src}]
    dns: [1.1.1.1, 8.8.8.8]
`,
  });
  const web = p.model.services.web!;
  assert.equal(web.image, 'app:2');
  assert.deepEqual(web.command, ['c']);
  assert.deepEqual(web.environment, { A: '1', B: '3', C: '4' });
  assert.deepEqual(web.labels, { x: '1', y: '2' });
  assert.deepEqual(web.ports!.map((x) => `${x.host_ip ?? ''}:${x.published}:${x.target}`), [':8080:80', '127.0.0.1:9090:90', ':8081:80']);
  assert.deepEqual(web.volumes!.map((v) => `${v.type}:${v.target}:${v.source!.endsWith('other') ? 'other' : v.source}`), ['volume:/data:data', 'bind:/src:other']);
  assert.deepEqual(web.dns, ['1.1.1.1', '8.8.8.8']);
  assert.deepEqual(web.depends_on, { db: { condition: 'service_started', required: true } });
  assert.equal(p.name, 'myproject');
  assert.equal(p.model.volumes.data!.name, 'myproject_data');
  assert.equal(p.model.networks.default!.name, 'myproject_default');
});

test('!reset removes and !override replaces', () => {
  const p = project({
    'a.yaml': `services:\n  web:\n    image: x\n    ports: ["1:1"]\n    environment: {A: "1", B: "2"}\n`,
    'b.yaml': `services:\n  web:\n    ports: !reset []\n    environment: !override {C: "3"}\n`,
  }, { files: ['a.yaml', 'b.yaml'] });
  assert.equal(p.model.services.web!.ports, undefined);
  assert.deepEqual(p.model.services.web!.environment, { C: '3' });
});

test('.env feeds interpolation; the process environment wins; project name precedence', () => {
  const files = { 'compose.yaml': 'name: from-file\nservices:\n  s:\n    image: "img:${TAG:-latest}"\n    environment: [FROM_SHELL]\n', '.env': 'TAG=dotenv\nFROM_SHELL=dotenv\n' };
  assert.equal(project(files).model.services.s!.image, 'img:dotenv');
  assert.equal(project(files, { env: { TAG: 'shell' } }).model.services.s!.image, 'img:shell');
  assert.equal(project(files, { env: { FROM_SHELL: 'x' } }).model.services.s!.environment!.FROM_SHELL, 'x');
  assert.equal(project(files).name, 'from-file');
  assert.equal(project(files, { env: { COMPOSE_PROJECT_NAME: 'env_name' } }).name, 'env_name');
  assert.equal(project(files, { projectName: 'flag', env: { COMPOSE_PROJECT_NAME: 'env_name' } }).name, 'flag');
  assert.throws(() => project(files, { projectName: 'Bad Name' }), /invalid project name "Bad Name"/);
  assert.equal(normalizeProjectName('My.App_1-x'), 'myapp_1-x');
});

test('profiles enable services by --profile or COMPOSE_PROFILES', () => {
  const files = { 'compose.yaml': 'services:\n  a: {image: a}\n  dbg: {image: d, profiles: [debug]}\n' };
  assert.deepEqual(Object.keys(project(files).model.services), ['a']);
  assert.deepEqual(Object.keys(project(files, { profiles: ['debug'] }).model.services), ['a', 'dbg']);
  assert.deepEqual(Object.keys(project(files, { env: { COMPOSE_PROFILES: 'other,debug' } }).model.services), ['a', 'dbg']);
});

test('errors name the file, the service and the key', () => {
  assert.throws(() => project({ 'compose.yaml': 'services:\n  web:\n    image: x\n    ports: ["abc"]\n' }), {
    message: 'compose.yaml: services.web.ports[0]: invalid port "abc": use [HOST:]CONTAINER[/PROTO]',
  });
  assert.throws(() => project({ 'compose.yaml': 'services:\n  web:\n    image: x\n    depends_on: [nope]\n' }), /compose\.yaml: services\.web\.depends_on: depends on undefined service "nope"/);
  assert.throws(() => project({ 'compose.yaml': 'services:\n  web:\n    imgae: x\n' }), /compose\.yaml: services\.web\.imgae: unsupported key "imgae"/);
  assert.throws(() => project({ 'compose.yaml': 'services:\n  web:\n    image: x\n    networks: [back]\n' }), /services\.web\.networks: service "web" refers to undefined network back/);
});

test('extends copies a service and merges the local keys over it', () => {
  const p = project({ 'compose.yaml': 'services:\n  base: {image: b, environment: {A: "1"}}\n  web:\n    extends: base\n    environment: {B: "2"}\n' });
  assert.equal(p.model.services.web!.image, 'b');
  assert.deepEqual(p.model.services.web!.environment, { A: '1', B: '2' });
});

test('configs: an override replaces a use by its target; 0440 is an octal mode; a config may not overwrite a secret', () => {
  const p = project({
    'compose.yaml': 'services:\n  web:\n    image: x\n    configs: [a, {source: b, target: /b, mode: 0440}]\nconfigs:\n  a: {content: one}\n  b: {file: ./b.conf}\n',
    'compose.override.yaml': 'services:\n  web:\n    configs: [{source: a, mode: 0400}]\nconfigs:\n  a: {content: two}\n',
  });
  assert.deepEqual(p.model.services.web!.configs, [{ source: 'a', mode: 0o400 }, { source: 'b', target: '/b', mode: 0o440 }]);
  assert.deepEqual(p.model.configs.a, { content: 'two', name: 'myproject_a' });
  assert.throws(() => project({ 'compose.yaml': 'services:\n  web:\n    image: x\n    configs: [a]\n    secrets: [a]\nconfigs:\n  a: {content: c}\nsecrets:\n  a: {file: ./s}\n' }), {
    message: 'compose.yaml: configs.a: has the same name "myproject_a" as secret a: give one of them another name: key',
  });
  assert.throws(() => project({ 'compose.yaml': 'services:\n  web:\n    image: x\n    configs: [a]\nconfigs:\n  a: {}\n' }), { message: 'compose.yaml: configs.a: needs file:, environment: or content:' });
});

test('resource, ulimit, device, sysctl and logging keys are checked where they are written', () => {
  const svc = (body: string) => () => project({ 'compose.yaml': `services:\n  web:\n    image: x\n${body}` });
  assert.throws(svc('    sysctls: {kernel.hostname: x}\n'), {
    message: 'compose.yaml: services.web.sysctls.kernel.hostname: sysctl "kernel.hostname" is not allowed: only namespaced ones (net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*) can be set for a container',
  });
  assert.throws(svc('    logging: {driver: journald}\n'), { message: 'compose.yaml: services.web.logging.driver: unsupported log driver "journald": use json-file, k8s-file, none or passthrough' });
  assert.throws(svc('    mem_limit: lots\n'), { message: 'compose.yaml: services.web.mem_limit: invalid size "lots": give bytes or a number with a unit b, k, m or g' });
  assert.throws(svc('    ulimits: {nofiles: 10}\n'), /services\.web\.ulimits\.nofiles: invalid ulimit type "nofiles"/);
  assert.throws(svc('    ulimits: {nofile: {soft: 20, hard: 10}}\n'), /services\.web\.ulimits\.nofile: invalid ulimit nofile: the soft limit 20 is above the hard limit 10/);
  assert.throws(svc('    devices: ["/dev/fuse:fuse"]\n'), /services\.web\.devices\[0\]: invalid device "\/dev\/fuse:fuse": the container path must be absolute/);
  assert.throws(svc('    deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}\n'), /services\.web\.deploy\.resources\.reservations\.devices: reserving devices \(GPUs\) is not supported/);
  assert.throws(svc('    cpus: fast\n'), /services\.web\.cpus: invalid cpus "fast"/);
  const p = project({ 'compose.yaml': 'services:\n  web:\n    image: x\n    deploy: {placement: {constraints: [node.role==manager]}, replicas: 2}\n    memswap_limit: -1\n' });
  assert.equal(p.model.services.web!.deploy!.replicas, 2);
  assert.equal(p.model.services.web!.memswap_limit, '-1');
});
