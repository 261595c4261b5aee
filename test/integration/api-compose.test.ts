import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, fixturesDir } from './harness.js';
import { ApiService } from './api-harness.js';
import { until } from './reliability.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('api-compose');
const api = new ApiService(box);
const IMG = 'localhost/tspod-test/busybox:latest';
// A second /24 of this sandbox's slot and its own bridge name, as network.test.ts picks them.
const userPrefix = `10.${216 + (box.netSlot >> 8)}.${box.netSlot & 255}`;
const PROJECT = 'apitest';

before(async () => {
  await buildFixtures(fixturesDir());
  box.ok(['load', '-q', '-i', `${fixturesDir()}/busybox/oci-archive.tar`]);
  await api.start();
});

after(async () => {
  box.run(['rm', '-a', '-f', '-t', '0']);
  await api.stop();
  box.cleanup();
});

/** Debian's docker-compose 1.29 (docker-py underneath) against the service. */
function compose(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('/usr/bin/docker-compose', ['-p', PROJECT, '-f', box.path('compose.yaml'), ...args], { env: api.clientEnv, timeout: 180_000 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test('docker-compose brings up two services on a network with a volume, and takes them down', async () => {
  writeFileSync(
    box.path('compose.yaml'),
    `version: "3.8"
services:
  web:
    image: ${IMG}
    command: ["sh", "-c", "mkdir -p /www && echo hello from web > /www/index.html && exec httpd -f -p 80 -h /www"]
    networks: [appnet]
  client:
    image: ${IMG}
    depends_on: [web]
    command: ["sh", "-c", "for i in $$(seq 1 100); do wget -qO- http://web/ > /data/page && exit 0; usleep 100000; done; exit 1"]
    volumes: ["appdata:/data"]
    networks: [appnet]
networks:
  appnet:
    driver: bridge
    driver_opts:
      com.docker.network.bridge.name: tspu${box.netSlot}
    ipam:
      config:
        - subnet: ${userPrefix}.0/24
volumes:
  appdata: {}
`,
  );
  const up = compose(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, new RegExp(`Creating network "${PROJECT}_appnet" with driver "bridge"`));
  assert.match(up.stderr, new RegExp(`Creating volume "${PROJECT}_appdata" with default driver`));

  // The engine sees what compose made through the API.
  const [network] = JSON.parse(box.ok(['network', 'inspect', `${PROJECT}_appnet`]));
  assert.equal(network.subnets[0].subnet, `${userPrefix}.0/24`);
  assert.equal(network.labels['com.docker.compose.project'], PROJECT);
  const client = `${PROJECT}_client_1`;
  await until('the client to finish', () => box.run(['inspect', '--format', '{{.State.Status}}', client]).stdout === 'exited\n', 60_000);
  assert.equal(box.ok(['inspect', '--format', '{{.State.ExitCode}}', client]), '0\n', 'the client reached web by its service name');
  const [volume] = JSON.parse(box.ok(['volume', 'inspect', `${PROJECT}_appdata`]));
  assert.equal(readFileSync(join(volume.Mountpoint, 'page'), 'utf8'), 'hello from web\n');

  const ps = compose(['ps']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, new RegExp(`^${PROJECT}_web_1 .* Up`, 'm'));
  assert.match(ps.stdout, new RegExp(`^${client} .* Exit 0`, 'm'));

  const down = compose(['down', '-v']);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(box.ok(['ps', '-a', '-q']), '');
  assert.equal(box.run(['network', 'exists', `${PROJECT}_appnet`]).code, 1);
  assert.equal(box.run(['volume', 'exists', `${PROJECT}_appdata`]).code, 1);
});
