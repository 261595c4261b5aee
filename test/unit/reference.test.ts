import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  familiarName,
  formatReference,
  fullName,
  isImageIdPrefix,
  isShortName,
  normalizeDockerHub,
  parseReference,
  resolveShortNameCandidates,
  toString,
  withDefaultTag,
} from '../../src/image/reference.js';
import type { RegistriesConf } from '../../src/config/registriesConf.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

const SHA256 = 'sha256:' + '0123456789abcdef'.repeat(4);
const SHA512 = 'sha512:' + '0123456789abcdef'.repeat(8);

function rejects(input: string, pattern: RegExp = /^invalid reference format/): void {
  assert.throws(
    () => parseReference(input),
    (e: unknown) => e instanceof InvalidArgumentError && /^invalid reference format/.test(e.message) && pattern.test(e.message),
    `expected "${input}" to be rejected with ${pattern}`,
  );
}

describe('parseReference', () => {
  it('splits the parts', () => {
    const cases: Array<[string, ReturnType<typeof parseReference>]> = [
      ['busybox', { path: 'busybox' }],
      ['busybox:1.36', { path: 'busybox', tag: '1.36' }],
      ['library/busybox', { path: 'library/busybox' }],
      ['docker.io/busybox', { domain: 'docker.io', path: 'busybox' }],
      ['quay.io/a/b/c:v1', { domain: 'quay.io', path: 'a/b/c', tag: 'v1' }],
      ['localhost/x', { domain: 'localhost', path: 'x' }],
      ['localhost:5000/x:y', { domain: 'localhost:5000', path: 'x', tag: 'y' }],
      ['registry:5000/ns/img', { domain: 'registry:5000', path: 'ns/img' }],
      ['127.0.0.1:5000/img', { domain: '127.0.0.1:5000', path: 'img' }],
      ['[::1]:5000/img:tag', { domain: '[::1]:5000', path: 'img', tag: 'tag' }],
      ['Registry.Example.com/img', { domain: 'Registry.Example.com', path: 'img' }],
      ['MyHost/img', { domain: 'MyHost', path: 'img' }],
      [`busybox@${SHA256}`, { path: 'busybox', digest: SHA256 }],
      [`quay.io/a/b:t@${SHA512}`, { domain: 'quay.io', path: 'a/b', tag: 't', digest: SHA512 }],
      ['a_b.c__d-e---f', { path: 'a_b.c__d-e---f' }],
      ['localhost', { path: 'localhost' }],
      ['localhost:5000', { path: 'localhost', tag: '5000' }],
      ['img:' + 'T'.repeat(128), { path: 'img', tag: 'T'.repeat(128) }],
    ];
    for (const [input, expected] of cases) assert.deepEqual(parseReference(input), expected, input);
  });

  it('rejects bad input', () => {
    rejects('', /at least one component/);
    rejects('Busybox', /must be lowercase/);
    rejects('library/BusyBox:latest', /must be lowercase/);
    rejects('docker.io/Library/busybox', /must be lowercase/);
    rejects('busybox@sha256:abc', /64 lowercase hex/);
    rejects(`busybox@sha256:${'A'.repeat(64)}`, /lowercase hex/);
    rejects(`busybox@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/);
    rejects('busybox@' + '0'.repeat(64), /algorithm:hex/);
    rejects(`busybox@${SHA256}@${SHA256}`);
    rejects('img:' + 'a'.repeat(129), /invalid tag/);
    rejects('img:-tag', /invalid tag/);
    rejects('img:', /invalid tag/);
    rejects('a/' + 'b'.repeat(254), /not be more than 255/);
    rejects('-leading');
    rejects('trailing-');
    rejects('a//b');
    rejects('a/');
    rejects('/a');
    rejects('exa_mple.com/img', /invalid registry/);
    rejects('busy box');
    rejects('0123456789abcdef'.repeat(4), /64-byte hexadecimal/);
  });

  it('accepts a 255 character name', () => {
    assert.equal(fullName(parseReference('a/' + 'b'.repeat(253))).length, 255);
  });
});

describe('reference helpers', () => {
  it('formats and qualifies', () => {
    const ref = parseReference(`quay.io/a/b:t@${SHA256}`);
    assert.equal(formatReference(ref), `quay.io/a/b:t@${SHA256}`);
    assert.equal(toString(ref), formatReference(ref));
    assert.equal(fullName(ref), 'quay.io/a/b');
    assert.equal(isShortName(ref), false);
    assert.equal(isShortName(parseReference('a/b')), true);
    assert.equal(isShortName(parseReference('localhost/x')), false);
  });

  it('adds latest only without tag and digest', () => {
    assert.equal(formatReference(withDefaultTag(parseReference('busybox'))), 'busybox:latest');
    assert.equal(formatReference(withDefaultTag(parseReference('busybox:1'))), 'busybox:1');
    assert.equal(formatReference(withDefaultTag(parseReference(`busybox@${SHA256}`))), `busybox@${SHA256}`);
  });

  it('normalizes Docker Hub names', () => {
    const norm = (s: string): string => formatReference(normalizeDockerHub(parseReference(s)));
    assert.equal(norm('docker.io/busybox'), 'docker.io/library/busybox');
    assert.equal(norm('index.docker.io/busybox:1'), 'docker.io/library/busybox:1');
    assert.equal(norm('docker.io/user/img'), 'docker.io/user/img');
    assert.equal(norm('busybox'), 'busybox');
    assert.equal(norm('quay.io/busybox'), 'quay.io/busybox');
  });

  it('gives familiar names', () => {
    assert.equal(familiarName(parseReference('docker.io/library/busybox:1')), 'busybox');
    assert.equal(familiarName(parseReference('docker.io/busybox')), 'busybox');
    assert.equal(familiarName(parseReference('docker.io/user/img')), 'user/img');
    assert.equal(familiarName(parseReference('docker.io/library/a/b')), 'library/a/b');
    assert.equal(familiarName(parseReference('quay.io/a/b')), 'quay.io/a/b');
  });

  it('recognizes image id prefixes', () => {
    assert.equal(isImageIdPrefix('abc'), true);
    assert.equal(isImageIdPrefix('0123456789abcdef'.repeat(4)), true);
    assert.equal(isImageIdPrefix(SHA256), true);
    assert.equal(isImageIdPrefix('sha256:abc1'), true);
    assert.equal(isImageIdPrefix('ab'), false);
    assert.equal(isImageIdPrefix('ABC'), false);
    assert.equal(isImageIdPrefix('0123456789abcdef'.repeat(4) + '0'), false);
    assert.equal(isImageIdPrefix('sha512:abc'), false);
    assert.equal(isImageIdPrefix('busybox'), false);
  });
});

describe('resolveShortNameCandidates', () => {
  const conf: RegistriesConf = {
    unqualifiedSearchRegistries: ['registry.fedoraproject.org', 'docker.io', 'localhost:5000'],
    shortNameMode: 'permissive',
    registries: [],
    aliases: { fedora: 'registry.fedoraproject.org/fedora', 'opensuse/leap': 'registry.opensuse.org/opensuse/leap', hub: 'docker.io/hub' },
    credentialHelpers: [],
    sources: [],
  };

  it('tries every search registry, with library/ on Docker Hub', () => {
    assert.deepEqual(resolveShortNameCandidates('busybox', conf), [
      'registry.fedoraproject.org/busybox:latest',
      'docker.io/library/busybox:latest',
      'localhost:5000/busybox:latest',
    ]);
    assert.deepEqual(resolveShortNameCandidates('user/img:2', conf), [
      'registry.fedoraproject.org/user/img:2',
      'docker.io/user/img:2',
      'localhost:5000/user/img:2',
    ]);
    assert.deepEqual(resolveShortNameCandidates(`busybox@${SHA256}`, conf)[1], `docker.io/library/busybox@${SHA256}`);
  });

  it('uses an alias alone, keeping the tag or digest', () => {
    assert.deepEqual(resolveShortNameCandidates('fedora', conf), ['registry.fedoraproject.org/fedora:latest']);
    assert.deepEqual(resolveShortNameCandidates('fedora:39', conf), ['registry.fedoraproject.org/fedora:39']);
    assert.deepEqual(resolveShortNameCandidates(`opensuse/leap@${SHA256}`, conf), [`registry.opensuse.org/opensuse/leap@${SHA256}`]);
    assert.deepEqual(resolveShortNameCandidates('hub', conf), ['docker.io/library/hub:latest']);
  });

  it('returns a qualified name as its one normalized candidate', () => {
    assert.deepEqual(resolveShortNameCandidates('docker.io/busybox', conf), ['docker.io/library/busybox:latest']);
    assert.deepEqual(resolveShortNameCandidates('localhost/x:1', conf), ['localhost/x:1']);
  });

  it('gives no candidates without search registries or alias', () => {
    assert.deepEqual(resolveShortNameCandidates('busybox', { ...conf, unqualifiedSearchRegistries: [] }), []);
  });

  it('rejects an invalid name', () => {
    assert.throws(() => resolveShortNameCandidates('Bad', conf), InvalidArgumentError);
  });
});
