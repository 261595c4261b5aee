import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSysctl, logDriver, logOptions, parseDevice, ulimit } from '../../src/engine/spec/hostSpec.js';

test('--device HOST[:CONTAINER][:PERMISSIONS] as Podman reads it', () => {
  assert.deepEqual(parseDevice('/dev/fuse'), { source: '/dev/fuse', destination: '/dev/fuse', permissions: 'rwm' });
  assert.deepEqual(parseDevice('/dev/fuse:r'), { source: '/dev/fuse', destination: '/dev/fuse', permissions: 'r' });
  assert.deepEqual(parseDevice('/dev/fuse:/dev/f'), { source: '/dev/fuse', destination: '/dev/f', permissions: 'rwm' });
  assert.deepEqual(parseDevice('/dev/fuse:/dev/f:rw'), { source: '/dev/fuse', destination: '/dev/f', permissions: 'rw' });
  assert.throws(() => parseDevice('/dev/fuse:/dev/f:rwx'), { message: 'invalid device mode "rwx" in /dev/fuse:/dev/f:rwx: use some of r, w and m' });
  assert.throws(() => parseDevice('fuse'), { message: 'invalid device "fuse": the host path must be absolute' });
});

test('sysctls, ulimits and log options are checked as Podman checks them', () => {
  assert.doesNotThrow(() => checkSysctl('net.core.somaxconn', '1024'));
  assert.doesNotThrow(() => checkSysctl('kernel.shmmax', '1'));
  assert.throws(() => checkSysctl('vm.swappiness', '1'), /sysctl "vm.swappiness" is not allowed/);
  assert.deepEqual(ulimit('NOFILE', 10, 20), { name: 'nofile', soft: 10, hard: 20 });
  assert.deepEqual(ulimit('core', -1, -1), { name: 'core', soft: -1, hard: -1 });
  assert.throws(() => ulimit('nofile', 30, 20), /the soft limit 30 is above the hard limit 20/);
  assert.equal(logDriver('json-file'), 'k8s-file');
  assert.throws(() => logDriver('syslog'), { message: 'unsupported log driver "syslog": use json-file, k8s-file, none or passthrough' });
  assert.deepEqual(logOptions({ 'max-size': '10m', 'max-file': '3', tag: 'web' }), { logSizeMax: 10_000_000, logTag: 'web' });
});
