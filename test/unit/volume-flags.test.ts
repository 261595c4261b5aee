import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isVolumeSpec, parseSecretFlag, parseVolumeFlag, parseVolumesFrom } from '../../src/cli/commands/container/volumeFlags.js';
import { parseMount, parseVolume } from '../../src/cli/commands/container/createFlags.js';
import { volumeFilter } from '../../src/engine/local/volumeFilters.js';
import type { VolumeRecord } from '../../src/engine/local/volumeStore.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

describe('-v and --mount for volumes', () => {
  it('tells volumes from host paths', () => {
    assert.equal(isVolumeSpec('/data'), true);
    assert.equal(isVolumeSpec('name:/data'), true);
    assert.equal(isVolumeSpec('/host:/data'), false);
    assert.equal(isVolumeSpec('./rel:/data'), false);
  });

  it('parses named and anonymous volumes with their options', () => {
    assert.deepEqual(parseVolume('/scratch'), { type: 'volume', destination: '/scratch', options: [] });
    assert.deepEqual(parseVolume('db:/var/lib/db:ro,Z,nocopy,U'), { type: 'volume', source: 'db', destination: '/var/lib/db', options: ['ro', 'nocopy', 'U'] });
    assert.throws(() => parseVolumeFlag('db:rel'), InvalidArgumentError);
    assert.throws(() => parseVolumeFlag('d$b:/x'), /invalid volume name/);
    assert.throws(() => parseVolumeFlag('db:/x:ro,rw'), /mutually exclusive/);
    assert.throws(() => parseVolumeFlag('db:/x:exec=1'), /invalid volume option/);
  });

  it('parses --mount type=volume', () => {
    assert.deepEqual(parseMount('type=volume,source=db,target=/d,readonly,volume-nocopy'), { type: 'volume', source: 'db', destination: '/d', options: ['ro', 'nocopy'] });
    assert.deepEqual(parseMount('type=volume,dst=/anon'), { type: 'volume', destination: '/anon', options: [] });
  });

  it('checks --volumes-from', () => {
    assert.equal(parseVolumesFrom('ctr:ro'), 'ctr:ro');
    assert.throws(() => parseVolumesFrom('ctr:rx'), /must be ro or rw/);
    assert.throws(() => parseVolumesFrom(''), InvalidArgumentError);
  });
});

describe('--secret', () => {
  it('defaults to a 0444 file named after the secret', () => {
    assert.deepEqual(parseSecretFlag('pw'), { name: 'pw', type: 'mount', target: 'pw', uid: 0, gid: 0, mode: 0o444 });
  });
  it('takes type, target, uid, gid and octal mode', () => {
    assert.deepEqual(parseSecretFlag('pw,target=/etc/pw,uid=5,gid=6,mode=0400'), { name: 'pw', type: 'mount', target: '/etc/pw', uid: 5, gid: 6, mode: 0o400 });
    assert.deepEqual(parseSecretFlag('pw,type=env,target=PASSWORD'), { name: 'pw', type: 'env', target: 'PASSWORD', uid: 0, gid: 0, mode: 0o444 });
  });
  it('refuses what Podman refuses', () => {
    assert.throws(() => parseSecretFlag('pw,type=env,uid=1'), /cannot be set with secret option type=env/);
    assert.throws(() => parseSecretFlag('pw,mode=999'), /octal/);
    assert.throws(() => parseSecretFlag('pw,colour=red'), /invalid for --secret/);
    assert.throws(() => parseSecretFlag('type=env'), /start with the secret's name/);
  });
});

describe('volume filters', () => {
  const vol = (name: string, extra: Partial<VolumeRecord> = {}): VolumeRecord => ({
    name,
    driver: 'local',
    created: '2026-11-23T10:00:00.5Z',
    labels: {},
    options: {},
    anonymous: false,
    needsCopyUp: true,
    needsChown: true,
    ...extra,
  });
  const all = [vol('web', { labels: { tier: 'front' } }), vol('db', { labels: { tier: 'back', keep: '' }, options: { type: 'tmpfs' } }), vol('cache', { anonymous: true })];
  const names = (filters: string[], inUse: string[] = []) => all.filter(volumeFilter(filters, (n) => inUse.includes(n), { now: new Date('2026-11-23T12:00:00Z') })).map((v) => v.name);

  it('filters by name (regexp), label, label!, opt, dangling, anonymous and until', () => {
    assert.deepEqual(names(['name=^d']), ['db']);
    assert.deepEqual(names(['label=tier']), ['web', 'db']);
    assert.deepEqual(names(['label=tier=back', 'label=keep']), ['db']);
    assert.deepEqual(names(['label!=tier']), ['cache']);
    assert.deepEqual(names(['opt=type=tmpfs']), ['db']);
    assert.deepEqual(names(['dangling=true'], ['web']), ['db', 'cache']);
    assert.deepEqual(names(['dangling=0'], ['web']), ['web']);
    assert.deepEqual(names(['anonymous=true']), ['cache']);
    assert.deepEqual(names(['anonymous=0']), ['web', 'db']);
    assert.deepEqual(names(['until=2026-11-23T11:00:00Z']), ['web', 'db', 'cache']);
    assert.deepEqual(names(['until=2026-11-23T09:00:00Z']), []);
  });
  it('refuses unknown keys and bad values', () => {
    assert.throws(() => names(['colour=red']), /"colour" is an invalid volume filter/);
    assert.throws(() => names(['dangling=maybe']), /"maybe" is not a valid value/);
    assert.throws(() => names(['anonymous=maybe']), /"maybe" is not a valid value for the "anonymous" filter/);
    assert.throws(() => names(['nokey']), /filter input must be in the form/);
  });
});
