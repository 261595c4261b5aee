import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Sandbox, fixturesDir, freePort, httpGet, slotSubnet } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('compose');
const IMG = 'localhost/tspod-test/busybox';
const dir = box.path('shop');
let webPort = 0;

function compose(args: string[]) {
  return box.run(['compose', '--project-directory', dir, '-f', join(dir, 'compose.yaml'), '-f', join(dir, 'compose.override.yaml'), ...args]);
}

/** Like Sandbox.run, with extra environment variables (the compose file reads WEB_PORT, TOKEN, MODE). */
function composeEnv(args: string[], env: Record<string, string>) {
  return withEnv(env, () => compose(args));
}

/** Compose in another project folder (its compose.yaml), with extra environment variables. */
function composeIn(projectDir: string, args: string[], env: Record<string, string> = {}) {
  return withEnv(env, () => box.run(['compose', '--project-directory', projectDir, ...args]));
}

function withEnv<T>(env: Record<string, string>, fn: () => T): T {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

before(async () => {
  const fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  // The project's networks take this sandbox's /24; the default network (unused here) would overlap it.
  rmSync(join(box.networkDir, 'podman.json'));
  webPort = await freePort();
  const { prefix } = slotSubnet(box.netSlot);
  mkdirSync(join(dir, 'web'), { recursive: true });
  writeFileSync(join(dir, 'web', 'Containerfile'), `FROM ${IMG}\nARG GREETING=none\nCOPY index.html /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`);
  writeFileSync(join(dir, 'web', 'index.html'), 'built from a Containerfile\n');
  writeFileSync(join(dir, 'secret.txt'), 'file-secret-value');
  writeFileSync(join(dir, '.env'), `WEB_PORT=${webPort}\nTOKEN=env-secret-value\n`);
  writeFileSync(
    join(dir, 'compose.yaml'),
    `name: Shop
services:
  db:
    image: ${IMG}
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo db-ok > /www/index.html && exec httpd -f -p 5432 -h /www"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 300ms
      retries: 1000
    networks: [back]
  web:
    build: {context: ./web, args: {GREETING: hello}}
    init: true
    ports: ["127.0.0.1:\${WEB_PORT}:8080"]
    environment:
      MODE: \${MODE:-prod}
    depends_on:
      db: {condition: service_healthy}
    networks: [front, back]
    volumes: ["data:/data"]
    secrets:
      - filesecret
      - {source: envsecret, target: token}
  edge:
    image: ${IMG}
    init: true
    command: ["sleep", "1000"]
    networks: [front]
  debug:
    image: ${IMG}
    profiles: [debug]
    command: ["sleep", "1000"]
networks:
  front:
    driver_opts: {com.docker.network.bridge.name: tspc${box.netSlot}f}
    ipam: {config: [{subnet: ${prefix}.0/26}]}
  back:
    driver_opts: {com.docker.network.bridge.name: tspc${box.netSlot}b}
    ipam: {config: [{subnet: ${prefix}.64/26}]}
volumes:
  data: {}
secrets:
  filesecret: {file: ./secret.txt}
  envsecret: {environment: TOKEN}
`,
  );
  writeFileSync(join(dir, 'compose.override.yaml'), 'services:\n  edge:\n    labels: {tier: edge}\n    stop_grace_period: 2s\n');
});

after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  box.run(['network', 'rm', '-f', 'shop_front', 'shop_back']);
  box.cleanup();
});

function ids(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of box.ok(['ps', '-a', '--format', '{{.Names}} {{.ID}}']).trim().split('\n').filter(Boolean)) {
    const [name, id] = line.split(' ');
    out[name!] = id!;
  }
  return out;
}

test('config prints the resolved, merged model', () => {
  const r = compose(['config']);
  assert.equal(r.code, 0, r.stderr);
  const cfg = parse(r.stdout);
  assert.equal(cfg.name, 'shop');
  assert.deepEqual(Object.keys(cfg.services).sort(), ['db', 'edge', 'web']);
  assert.deepEqual(cfg.services.web.ports, [{ mode: 'ingress', host_ip: '127.0.0.1', target: 8080, published: String(webPort), protocol: 'tcp' }]);
  assert.deepEqual(cfg.services.web.environment, { MODE: 'prod' });
  assert.deepEqual(cfg.services.web.depends_on, { db: { condition: 'service_healthy', required: true } });
  assert.equal(cfg.services.web.build.context, join(dir, 'web'));
  assert.deepEqual(cfg.services.web.build.args, { GREETING: 'hello' });
  assert.deepEqual(cfg.services.web.secrets, [{ source: 'filesecret' }, { source: 'envsecret', target: 'token' }]);
  assert.deepEqual(cfg.services.db.healthcheck.test, ['CMD', 'test', '-f', '/tmp/ready']);
  assert.deepEqual(cfg.services.edge.labels, { tier: 'edge' });
  assert.equal(cfg.services.edge.stop_grace_period, '2s');
  assert.equal(cfg.networks.front.name, 'shop_front');
  assert.equal(cfg.volumes.data.name, 'shop_data');
  assert.equal(cfg.secrets.filesecret.file, join(dir, 'secret.txt'));
  assert.equal(cfg.secrets.envsecret.environment, 'TOKEN');
  assert.deepEqual(compose(['--profile', 'debug', 'config', '--services']).stdout.trim().split('\n').sort(), ['db', 'debug', 'edge', 'web']);
  assert.equal(composeEnv(['config', '--services'], { COMPOSE_PROFILES: 'debug' }).stdout.includes('debug\n'), true);
});

test('a bad port is an error naming the file, service and key', () => {
  const bad = box.path('bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'compose.yaml'), `services:\n  web:\n    image: ${IMG}\n    ports: ["abc"]\n`);
  const r = box.run(['compose', '-f', join(bad, 'compose.yaml'), 'config']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr.trim(), 'Error: compose.yaml: services.web.ports[0]: invalid port "abc": use [HOST:]CONTAINER[/PROTO]');
});

test('up -d waits for the healthy db, builds web, and the project answers', async () => {
  const upRun = box.runAsync(['compose', '--project-directory', dir, '-f', join(dir, 'compose.yaml'), '-f', join(dir, 'compose.override.yaml'), 'up', '-d']);
  // web must not start before db is healthy: db waits for its marker file.
  const deadline = Date.now() + 60_000;
  while (!box.ok(['ps', '--format', '{{.Names}}']).includes('shop-db-1')) {
    if (Date.now() > deadline) throw new Error('db never started');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(box.ok(['ps', '-a', '--format', '{{.Names}}']).includes('shop-web-1'), false, 'web was created before db became healthy');
  box.ok(['exec', 'shop-db-1', 'touch', '/tmp/ready']);
  const r = await upRun;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Container shop-db-1 {2}Healthy/);
  const res = await httpGet(webPort);
  assert.equal(res.body, 'built from a Containerfile\n');
  // service names resolve over aardvark on shared networks only
  assert.equal(box.ok(['exec', 'shop-web-1', 'wget', '-qO-', 'http://db:5432/']), 'db-ok\n');
  assert.notEqual(box.run(['exec', 'shop-edge-1', 'wget', '-qO-', '-T', '3', 'http://db:5432/']).code, 0);
  assert.equal(box.ok(['exec', 'shop-edge-1', 'wget', '-qO-', `http://web:8080/`]), 'built from a Containerfile\n');
  assert.equal(box.ok(['exec', 'shop-web-1', 'cat', '/run/secrets/filesecret']), 'file-secret-value');
  assert.equal(box.ok(['exec', 'shop-web-1', 'cat', '/run/secrets/token']), 'env-secret-value');
  const labels = JSON.parse(box.ok(['inspect', '--format', '{{json .Config.Labels}}', 'shop-edge-1']));
  assert.equal(labels.tier, 'edge');
  assert.equal(labels['com.docker.compose.project'], 'shop');
  assert.equal(labels['com.docker.compose.service'], 'edge');
  assert.equal(labels['com.docker.compose.container-number'], '1');
  assert.equal(labels['com.docker.compose.oneoff'], 'False');
  assert.match(labels['com.docker.compose.config-hash'], /^[0-9a-f]{64}$/);
  const ps = compose(['ps', '--format', 'json']);
  assert.deepEqual(JSON.parse(ps.stdout).map((c: { Service: string }) => c.Service), ['db', 'edge', 'web']);
  const table = compose(['ps']).stdout.split('\n');
  assert.deepEqual(table[0]!.trim().split(/\s{2,}/), ['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS']);
  // CREATED is the time since, as in tspod ps and Docker Compose ("5 seconds ago"), not a timestamp.
  assert.match(table.find((l) => l.startsWith('shop-web-1 '))!, / web {2,}(Less than a second|\d+ seconds?|About a minute) ago {2,}Up /);
  assert.equal(compose(['port', 'web', '8080']).stdout, `127.0.0.1:${webPort}\n`);
});

test('a second up recreates nothing; a changed environment recreates only that service', () => {
  const before = ids();
  const again = compose(['up', '-d']);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /Recreate|Created/);
  assert.match(again.stderr, /Container shop-web-1 {2}Running/);
  assert.deepEqual(ids(), before);
  const changed = composeEnv(['up', '-d'], { MODE: 'dev' });
  assert.equal(changed.code, 0, changed.stderr);
  const after = ids();
  assert.notEqual(after['shop-web-1'], before['shop-web-1']);
  assert.equal(after['shop-db-1'], before['shop-db-1']);
  assert.equal(after['shop-edge-1'], before['shop-edge-1']);
  assert.equal(box.ok(['exec', 'shop-web-1', 'sh', '-c', 'echo $MODE']), 'dev\n');
});

test('logs prefix lines with the container; exec runs in a service', () => {
  box.ok(['exec', 'shop-edge-1', 'sh', '-c', 'echo hello-from-edge > /proc/1/fd/1']);
  const logs = compose(['logs', 'edge']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /^edge-1 {2}\| hello-from-edge$/m);
  const r = compose(['exec', '-T', 'web', 'cat', '/www/index.html']);
  assert.equal(r.stdout, 'built from a Containerfile\n');
});

test('down -v leaves no containers, networks, volumes or secrets behind', () => {
  const r = compose(['down', '-v']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(box.ok(['ps', '-a', '-q']), '');
  assert.doesNotMatch(box.ok(['network', 'ls', '--format', '{{.Name}}']), /shop_/);
  assert.doesNotMatch(box.ok(['volume', 'ls', '--format', '{{.Name}}']), /shop_/);
  assert.equal(box.ok(['secret', 'ls', '--format', '{{.Name}}']).trim(), '');
});

test('one-shot dependencies, replicas and --scale, stop/start/kill/rm -f, down --rmi local', () => {
  const small = box.path('small');
  mkdirSync(join(small, 'tool'), { recursive: true });
  writeFileSync(join(small, 'tool', 'Containerfile'), `FROM ${IMG}\nRUN echo tool > /tool\n`);
  writeFileSync(
    join(small, 'compose.yaml'),
    `services:
  init:
    image: ${IMG}
    command: ["sh", "-c", "echo init done"]
  tool:
    build: ./tool
    depends_on:
      init:
        condition: service_completed_successfully
    command: ["sleep", "300"]
    init: true
  worker:
    image: ${IMG}
    command: ["sleep", "300"]
    init: true
    deploy:
      replicas: 2
`,
  );
  const c = (args: string[]) => box.run(['compose', '--project-directory', small, ...args]);
  const names = () =>
    box
      .ok(['ps', '-a', '--filter', 'label=com.docker.compose.project=small', '--format', '{{.Names}} {{.Status}}'])
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/ Up .*$/, ' running').replace(/ Exited .*$/, ' exited'))
      .sort();
  let r = c(['up', '-d']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Container small-init-1 {2}Exited[\s\S]*Container small-tool-1 {2}Created/, 'tool waits for init to complete');
  assert.deepEqual(names(), ['small-init-1 exited', 'small-tool-1 running', 'small-worker-1 running', 'small-worker-2 running']);
  assert.equal(c(['up', '-d', '--scale', 'worker=3']).code, 0);
  assert.ok(names().includes('small-worker-3 running'));
  assert.equal(c(['stop', '-t', '0', 'worker']).code, 0);
  assert.deepEqual(names().filter((n) => n.startsWith('small-worker')), ['small-worker-1 exited', 'small-worker-2 exited', 'small-worker-3 exited']);
  assert.equal(c(['start', 'worker']).code, 0);
  assert.equal(c(['kill', 'worker']).code, 0);
  r = c(['rm', '-f', 'worker']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(), ['small-init-1 exited', 'small-tool-1 running']);
  r = c(['down', '-t', '0', '--rmi', 'local']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(), []);
  assert.equal(box.run(['image', 'exists', 'localhost/small-tool']).code, 1, 'the built image is removed');
  assert.equal(box.run(['image', 'exists', IMG]).code, 0, 'a pulled image stays');
});

test('configs from a file, a variable and inline content are mounted read-only at /<name> or their target', () => {
  const proj = box.path('configs');
  mkdirSync(proj);
  writeFileSync(join(proj, 'app.conf'), 'listen 8080\n');
  writeFileSync(
    join(proj, 'compose.yaml'),
    `services:
  app:
    image: ${IMG}
    network_mode: none
    command: ["sleep", "300"]
    init: true
    configs:
      - app_conf
      - source: greeting
        target: /etc/greeting.txt
        uid: "100"
        gid: "101"
        mode: 0440
      - {source: banner, target: banner.txt}
configs:
  app_conf: {file: ./app.conf}
  greeting: {environment: GREETING}
  banner: {content: "welcome to \${GREETING}"}
  unused: {file: ./missing.conf}
`,
  );
  const c = (args: string[]) => composeIn(proj, args, { GREETING: 'hello' });
  const cfg = parse(c(['config']).stdout);
  assert.deepEqual(cfg.services.app.configs, [{ source: 'app_conf' }, { source: 'greeting', target: '/etc/greeting.txt', uid: '100', gid: '101', mode: 0o440 }, { source: 'banner', target: 'banner.txt' }]);
  assert.deepEqual(cfg.configs, {
    app_conf: { file: join(proj, 'app.conf'), name: 'configs_app_conf' },
    banner: { content: 'welcome to hello', name: 'configs_banner' },
    greeting: { environment: 'GREETING', name: 'configs_greeting' },
  });
  const r = c(['up', '-d']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(box.ok(['exec', 'configs-app-1', 'cat', '/app_conf']), 'listen 8080\n');
  assert.equal(box.ok(['exec', 'configs-app-1', 'cat', '/etc/greeting.txt']), 'hello');
  assert.equal(box.ok(['exec', 'configs-app-1', 'cat', '/banner.txt']), 'welcome to hello');
  assert.equal(box.ok(['exec', 'configs-app-1', 'stat', '-c', '%a %u %g', '/etc/greeting.txt', '/app_conf']), '440 100 101\n444 0 0\n');
  const write = box.run(['exec', 'configs-app-1', 'sh', '-c', 'echo x > /app_conf']);
  assert.notEqual(write.code, 0);
  assert.match(write.stderr, /Read-only file system/);
  assert.equal(c(['down', '-t', '0']).code, 0);
  assert.equal(box.ok(['secret', 'ls', '--format', '{{.Name}}']).trim(), '', 'down removes what held the configs');
  writeFileSync(join(proj, 'compose.yaml'), `services:\n  app:\n    image: ${IMG}\n    configs: [nope]\n`);
  const bad = c(['config']);
  assert.equal(bad.code, 125);
  assert.equal(bad.stderr.trim(), 'Error: compose.yaml: services.app.configs[0]: service "app" refers to undefined config nope: define it under the top-level configs key');
});

test('memory, cpu and pids limits, ulimits, shm_size, sysctls, devices and logging reach the container; deploy.resources wins', () => {
  const proj = box.path('limits');
  mkdirSync(proj);
  writeFileSync(
    join(proj, 'compose.yaml'),
    `services:
  limited:
    image: ${IMG}
    network_mode: none
    init: true
    command: ["sleep", "300"]
    mem_limit: 256m
    memswap_limit: 512m
    cpus: 1.5
    pids_limit: 200
    shm_size: 16m
    ulimits:
      nofile: {soft: 1000, hard: 2000}
      core: 0
    sysctls:
      net.ipv4.ip_forward: 1
    devices: ["/dev/fuse:/dev/myfuse:r"]
    logging:
      driver: json-file
      options: {max-size: 10m, max-file: "3", tag: limited}
  deployed:
    image: ${IMG}
    network_mode: none
    init: true
    command: ["sleep", "300"]
    mem_limit: 1g
    deploy:
      resources:
        limits: {cpus: "0.5", memory: 64M, pids: 50}
        reservations: {memory: 32M}
      restart_policy: {condition: on-failure, max_attempts: 3}
`,
  );
  const cfg = parse(composeIn(proj, ['config']).stdout);
  const limited = cfg.services.limited;
  assert.deepEqual([limited.mem_limit, limited.memswap_limit, limited.cpus, limited.pids_limit, limited.shm_size], ['268435456', '536870912', 1.5, 200, '16777216']);
  assert.deepEqual(limited.ulimits, { nofile: { soft: 1000, hard: 2000 }, core: 0 });
  assert.deepEqual(limited.devices, [{ source: '/dev/fuse', target: '/dev/myfuse', permissions: 'r' }]);
  assert.deepEqual(limited.sysctls, { 'net.ipv4.ip_forward': '1' });
  assert.deepEqual(cfg.services.deployed.deploy.resources, { limits: { cpus: 0.5, memory: '67108864', pids: 50 }, reservations: { memory: '33554432' } });
  const r = composeIn(proj, ['up', '-d']);
  assert.equal(r.code, 0, r.stderr);
  const host = (name: string) => JSON.parse(box.ok(['inspect', '--format', '{{json .HostConfig}}', name]));
  const h = host('limits-limited-1');
  assert.deepEqual([h.Memory, h.MemorySwap, h.NanoCpus, h.PidsLimit, h.ShmSize], [268435456, 536870912, 1500000000, 200, 16777216]);
  assert.deepEqual(h.Ulimits, [{ Name: 'RLIMIT_NOFILE', Soft: 1000, Hard: 2000 }, { Name: 'RLIMIT_CORE', Soft: 0, Hard: 0 }]);
  assert.deepEqual(h.Devices, [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/myfuse', CgroupPermissions: '' }]);
  assert.equal(h.LogConfig.Type, 'k8s-file');
  assert.equal(h.LogConfig.Size, '10MB');
  assert.equal(h.LogConfig.Tag, 'limited');
  const inside = (name: string, script: string) => box.ok(['exec', name, 'sh', '-c', script]);
  assert.equal(inside('limits-limited-1', 'ulimit -n; ulimit -Hn; cat /proc/sys/net/ipv4/ip_forward /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; test -c /dev/myfuse && echo device'), '1000\n2000\n1\n268435456\n200\ndevice\n');
  const write = box.run(['exec', 'limits-limited-1', 'sh', '-c', 'exec 3>/dev/myfuse']);
  assert.notEqual(write.code, 0, 'the device was given read-only');
  assert.match(write.stderr, /Operation not permitted/);
  const d = host('limits-deployed-1');
  assert.deepEqual([d.Memory, d.MemoryReservation, d.NanoCpus, d.PidsLimit], [67108864, 33554432, 500000000, 50]);
  assert.deepEqual(d.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.equal(inside('limits-deployed-1', 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us'), '50000\n');
  assert.equal(composeIn(proj, ['down', '-t', '0']).code, 0);
});

test('-f - reads the Compose file from standard input; relative paths are from the project folder', () => {
  const proj = box.path('piped');
  mkdirSync(proj);
  writeFileSync(join(proj, 'motd'), 'piped in\n');
  const file = `services:\n  app:\n    image: ${IMG}\n    network_mode: none\n    init: true\n    command: ["sleep", "300"]\n    volumes: ["./motd:/motd:ro"]\n`;
  const r = box.run(['compose', '--project-directory', proj, '-f', '-', 'up', '-d'], { input: file });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(box.ok(['exec', 'piped-app-1', 'cat', '/motd']), 'piped in\n');
  assert.equal(box.run(['compose', '-p', 'piped', 'down', '-t', '0']).code, 0);
  assert.equal(box.ok(['ps', '-a', '--filter', 'label=com.docker.compose.project=piped', '-q']), '');
  const bad = box.run(['compose', '-f', '-', 'config'], { input: 'services:\n  app:\n    image: x\n    ports: [abc]\n' });
  assert.equal(bad.code, 125);
  assert.equal(bad.stderr.trim(), 'Error: stdin: services.app.ports[0]: invalid port "abc": use [HOST:]CONTAINER[/PROTO]');
});

test('up --abort-on-container-exit stops the rest when one exits; --exit-code-from returns that service\'s code', () => {
  const proj = box.path('abort');
  mkdirSync(proj);
  writeFileSync(
    join(proj, 'compose.yaml'),
    `services:
  prep:
    image: ${IMG}
    network_mode: none
    command: ["true"]
  server:
    image: ${IMG}
    network_mode: none
    init: true
    command: ["sleep", "300"]
    depends_on: {prep: {condition: service_completed_successfully}}
  job:
    image: ${IMG}
    network_mode: none
    command: ["sh", "-c", "echo job ran; exit 3"]
    depends_on: [server]
`,
  );
  const status = () =>
    box
      .ok(['ps', '-a', '--filter', 'label=com.docker.compose.project=abort', '--format', '{{.Names}} {{.Status}}'])
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/\) .*$/, ')'))
      .sort();
  let r = composeIn(proj, ['up', '--exit-code-from', 'job']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /^job-1 +\| job ran$/m);
  assert.match(r.stdout, /^job-1 exited with code 3\nAborting on container exit\.\.\.$/m);
  assert.deepEqual(status(), ['abort-job-1 Exited (3)', 'abort-prep-1 Exited (0)', 'abort-server-1 Exited (143)']);
  r = composeIn(proj, ['up', '--abort-on-container-exit']);
  assert.equal(r.code, 3, 'the code of the container that ended it (the one-shot prep does not count)');
  r = composeIn(proj, ['up', '--exit-code-from', 'server', '-t', '2']);
  assert.equal(r.code, 143, 'server was stopped with SIGTERM');
  r = composeIn(proj, ['up', '-d', '--abort-on-container-exit']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr.trim(), "Error: --abort-on-container-exit cannot be combined with -d: the containers' exits are watched attached");
  r = composeIn(proj, ['up', '--exit-code-from', 'nope']);
  assert.equal(r.stderr.trim(), 'Error: --exit-code-from nope: no such service: give one of prep, server, job');
  assert.equal(composeIn(proj, ['down', '-t', '0']).code, 0);
});

test('independent services start together; a service starts after what it depends on or shares the network of', () => {
  const proj = box.path('order');
  mkdirSync(proj);
  const svc = (extra: string) => `    image: ${IMG}\n    init: true\n    command: ["sleep", "300"]\n${extra}`;
  writeFileSync(
    join(proj, 'compose.yaml'),
    `services:\n  side:\n${svc('    network_mode: "service:base"\n')}  base:\n${svc('    network_mode: none\n')}  one:\n${svc('    network_mode: none\n')}  two:\n${svc('    network_mode: none\n')}  last:\n${svc('    network_mode: none\n    depends_on: [one, two, side]\n')}`,
  );
  const r = composeIn(proj, ['up', '-d']);
  assert.equal(r.code, 0, r.stderr);
  const at = (line: string) => {
    const i = r.stderr.indexOf(` Container order-${line}\n`);
    assert.ok(i >= 0, `no "${line}" in:\n${r.stderr}`);
    return i;
  };
  assert.ok(at('base-1  Started') < at('side-1  Creating'), 'side joins the network of base, so it waits for it');
  for (const dep of ['one', 'two', 'side']) assert.ok(at(`${dep}-1  Started`) < at('last-1  Creating'), `last waits for ${dep}`);
  const netns = (name: string) => box.ok(['exec', name, 'readlink', '/proc/1/ns/net']);
  assert.equal(netns('order-side-1'), netns('order-base-1'));
  assert.equal(composeIn(proj, ['down', '-t', '0']).code, 0);
});
