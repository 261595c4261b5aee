import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { queryJsonList, queryShmSize } from '../../src/api/http.js';
import { extraHostEntries } from '../../src/api/compat/containerCreate.js';

describe('build query parameters', () => {
  it('reads a list sent repeated (the docker CLI) or as a JSON array (Podman)', () => {
    assert.deepEqual(queryJsonList(new URLSearchParams('extrahosts=a:1.2.3.4&extrahosts=b:5.6.7.8'), 'extrahosts'), ['a:1.2.3.4', 'b:5.6.7.8']);
    assert.deepEqual(queryJsonList(new URLSearchParams({ cachefrom: '["x/y:1","z"]' }), 'cachefrom'), ['x/y:1', 'z']);
    assert.deepEqual(queryJsonList(new URLSearchParams(''), 'cachefrom'), []);
    assert.throws(() => queryJsonList(new URLSearchParams({ cachefrom: '[1]' }), 'cachefrom'), /cachefrom must be a JSON list of strings/);
    assert.throws(() => queryJsonList(new URLSearchParams({ cachefrom: '[' }), 'cachefrom'), /cachefrom: malformed JSON/);
  });

  it('reads shmsize in bytes; 0 is the default', () => {
    assert.equal(queryShmSize(new URLSearchParams('shmsize=33554432')), 33554432);
    assert.equal(queryShmSize(new URLSearchParams('shmsize=0')), undefined);
    assert.throws(() => queryShmSize(new URLSearchParams('shmsize=32m')), /shmsize must be a number of bytes/);
  });

  it('turns Docker extra hosts into the spec entries, leaving host-gateway out with a warning', () => {
    const warnings: string[] = [];
    assert.deepEqual(extraHostEntries(['a:10.0.0.1', 'b=10.0.0.2', 'c:[::1]', 'gw:host-gateway'], 'extrahosts:', warnings), ['a:10.0.0.1', 'b:10.0.0.2', 'c:::1']);
    assert.equal(warnings.length, 1);
    assert.throws(() => extraHostEntries(['nocolon'], 'extrahosts:', []), /extrahosts: entry "nocolon" must be HOST:IP/);
    assert.throws(() => extraHostEntries(['a:notanip'], 'extrahosts:', []), /is not an IP address/);
  });
});
