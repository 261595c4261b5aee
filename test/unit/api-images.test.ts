import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient } from '../../src/image/registry/client.js';
import {
  decodeRegistryAuth,
  decodeRegistryConfig,
  familiarReference,
  imageDeleteResponse,
  imageHistory,
  imageInspect,
  imageSummary,
  isLoopbackRegistry,
  keepMatchingReferences,
  registryCredentials,
  rfc3339Nano,
  versionBefore,
} from '../../src/api/compat/images.js';
import { classicBuildLine, LayerProgress, progressBar, type JsonMessage } from '../../src/api/compat/progress.js';
import type { ImageInspectReport, ImageSummary } from '../../src/engine/types.js';

const ID = 'a'.repeat(64);

function summary(over: Partial<ImageSummary> = {}): ImageSummary {
  return {
    Id: ID,
    ParentId: '',
    RepoTags: ['docker.io/library/busybox:latest', 'localhost/mine:1', '127.0.0.1:5000/x/y:z'],
    RepoDigests: [`docker.io/library/busybox@sha256:${'b'.repeat(64)}`],
    Created: 1704067200,
    CreatedAt: '2024-01-01T00:00:00.000Z',
    Size: 2026289,
    SharedSize: 0,
    VirtualSize: 2026289,
    Labels: {},
    Containers: 2,
    Names: [],
    Digest: '',
    History: [],
    Dangling: false,
    ReadOnly: false,
    Intermediate: false,
    ...over,
  };
}

describe('image list entries', () => {
  it('have sha256 ids, familiar names, Unix seconds and no VirtualSize from API 1.44', () => {
    assert.deepEqual(imageSummary(summary({ ParentId: 'c'.repeat(64) }), '1.44'), {
      Id: `sha256:${ID}`,
      ParentId: `sha256:${'c'.repeat(64)}`,
      RepoTags: ['busybox:latest', 'mine:1', '127.0.0.1:5000/x/y:z'],
      RepoDigests: [`busybox@sha256:${'b'.repeat(64)}`],
      Created: 1704067200,
      Size: 2026289,
      SharedSize: 0,
      Labels: {},
      Containers: 2,
    });
    assert.equal(imageSummary(summary(), undefined).VirtualSize, undefined);
    assert.equal(imageSummary(summary(), '1.43').VirtualSize, 2026289);
  });

  it('show <none>:<none> for an untagged image before API 1.43 and empty lists after', () => {
    const untagged = summary({ RepoTags: [], RepoDigests: [] });
    assert.deepEqual(imageSummary(untagged, '1.41').RepoTags, ['<none>:<none>']);
    assert.deepEqual(imageSummary(untagged, '1.41').RepoDigests, ['<none>@<none>']);
    assert.deepEqual(imageSummary(untagged, '1.43').RepoTags, []);
    assert.deepEqual(imageSummary(untagged, '1.44').RepoDigests, []);
  });
});

describe('reference filters', () => {
  it('keep only the names that match, by name:tag or by name, with * not crossing /', () => {
    const listed = imageSummary(summary({ RepoTags: ['localhost/team/app:1', 'docker.io/library/busybox:latest', 'localhost/team/sub/x:2'] }), '1.44');
    assert.deepEqual(keepMatchingReferences(listed, ['team/*']).RepoTags, ['team/app:1']);
    assert.deepEqual(keepMatchingReferences(listed, ['busybox:lat*', 'team/sub/?:2']).RepoTags, ['busybox:latest', 'team/sub/x:2']);
    assert.deepEqual(keepMatchingReferences(listed, ['busybox']).RepoDigests, [`busybox@sha256:${'b'.repeat(64)}`]);
    assert.equal(keepMatchingReferences(listed, []), listed);
  });
});

describe('names and versions', () => {
  it('familiarReference shortens Docker Hub and localhost names only', () => {
    assert.equal(familiarReference('docker.io/library/busybox:1'), 'busybox:1');
    assert.equal(familiarReference('docker.io/someone/app:2'), 'someone/app:2');
    assert.equal(familiarReference('localhost/built:latest'), 'built:latest');
    assert.equal(familiarReference('localhost:5000/x:1'), 'localhost:5000/x:1');
    assert.equal(familiarReference('quay.io/a/b@sha256:' + 'c'.repeat(64)), 'quay.io/a/b@sha256:' + 'c'.repeat(64));
  });

  it('versionBefore compares numerically; no version is the newest', () => {
    assert.equal(versionBefore('1.9', '1.43'), true);
    assert.equal(versionBefore('1.43', '1.43'), false);
    assert.equal(versionBefore('1.44', '1.43'), false);
    assert.equal(versionBefore(undefined, '1.44'), false);
  });

  it('loopback registries are the ones Docker reaches without TLS verification', () => {
    assert.equal(isLoopbackRegistry('127.0.0.1:5000'), true);
    assert.equal(isLoopbackRegistry('localhost:5000/team'), true);
    assert.equal(isLoopbackRegistry('[::1]:5000'), true);
    assert.equal(isLoopbackRegistry('registry.example.com'), false);
    assert.equal(isLoopbackRegistry('128.0.0.1:80'), false);
  });
});

describe('image inspect', () => {
  const report: ImageInspectReport = {
    Id: ID,
    Digest: `sha256:${'b'.repeat(64)}`,
    RepoTags: ['docker.io/library/busybox:latest'],
    RepoDigests: [],
    Parent: '',
    Comment: 'c',
    Created: '2024-01-01T00:00:00.120000000+02:00',
    Config: { Cmd: ['sh'], Env: ['PATH=/bin'], Labels: { a: 'b' }, ExposedPorts: { '80/tcp': {} } },
    Version: '',
    Author: 'me',
    Architecture: 'amd64',
    Os: 'linux',
    Size: 10,
    VirtualSize: 10,
    GraphDriver: { Name: 'overlay', Data: { UpperDir: '/u' } },
    RootFS: { Type: 'layers', Layers: ['sha256:' + 'd'.repeat(64)] },
    Labels: { a: 'b' },
    Annotations: {},
    ManifestType: '',
    User: '',
    History: [],
    NamesHistory: [],
  };

  it('has Docker fields with zero values, RFC 3339 nanoseconds and the container config Docker shows', () => {
    const d = imageInspect(report, '1.44');
    assert.equal(d.Id, `sha256:${ID}`);
    assert.deepEqual(d.RepoTags, ['busybox:latest']);
    assert.equal(d.Created, '2024-01-01T00:00:00.12+02:00');
    assert.equal(d.Container, '');
    assert.equal(d.VirtualSize, undefined);
    const config = d.Config as Record<string, unknown>;
    assert.deepEqual(config.Cmd, ['sh']);
    assert.deepEqual(config.ExposedPorts, { '80/tcp': {} });
    assert.equal(config.Entrypoint, null);
    assert.equal(config.Tty, false);
    assert.deepEqual(d.RootFS, report.RootFS);
    assert.deepEqual(d.Metadata, { LastTagTime: '0001-01-01T00:00:00Z' });
    assert.equal(imageInspect(report, '1.45').Container, undefined);
    assert.equal(imageInspect(report, '1.41').VirtualSize, 10);
  });

  it('rfc3339Nano trims trailing zeros and keeps the offset', () => {
    assert.equal(rfc3339Nano('2024-05-06T07:08:09.500000000Z'), '2024-05-06T07:08:09.5Z');
    assert.equal(rfc3339Nano('2024-05-06T07:08:09.000Z'), '2024-05-06T07:08:09Z');
    assert.equal(rfc3339Nano('2024-05-06T07:08:09.123456789123-01:00'), '2024-05-06T07:08:09.123456789-01:00');
    assert.equal(rfc3339Nano('garbage'), '0001-01-01T00:00:00Z');
  });
});

describe('history and delete', () => {
  it('history has ids only for images and seconds for times', () => {
    const out = imageHistory([
      { id: ID, created: 1704067200500, createdRaw: '', createdBy: 'CMD ["sh"]', size: 0, comment: '', tags: ['localhost/x:1'] },
      { id: '<missing>', created: 1704067100000, createdRaw: '', createdBy: 'ADD file', size: 5, comment: 'c', tags: [] },
    ]);
    assert.deepEqual(out, [
      { Id: `sha256:${ID}`, Created: 1704067200, CreatedBy: 'CMD ["sh"]', Tags: ['x:1'], Size: 0, Comment: '' },
      { Id: '<missing>', Created: 1704067100, CreatedBy: 'ADD file', Tags: [], Size: 5, Comment: 'c' },
    ]);
  });

  it('delete lists untagged names, then deleted ids', () => {
    assert.deepEqual(imageDeleteResponse({ untagged: ['docker.io/library/busybox:latest'], deleted: [ID], errors: [] }), [
      { Untagged: 'busybox:latest' },
      { Deleted: `sha256:${ID}` },
    ]);
  });
});

describe('registry credentials headers', () => {
  it('X-Registry-Auth is base64url JSON with or without padding; junk is no credentials', () => {
    const header = Buffer.from(JSON.stringify({ username: 'u', password: 'p?>', serveraddress: 'r' })).toString('base64url');
    assert.deepEqual(decodeRegistryAuth(header), { username: 'u', password: 'p?>', serveraddress: 'r', identitytoken: undefined });
    assert.equal(decodeRegistryAuth('%%%'), undefined);
    assert.equal(decodeRegistryAuth(undefined), undefined);
    assert.deepEqual(decodeRegistryAuth(Buffer.from('{}').toString('base64')), { username: undefined, password: undefined, serveraddress: undefined, identitytoken: undefined });
  });

  it('an identitytoken (Docker\'s refresh token) becomes the engine\'s identity token, with or without a username', () => {
    const withToken = decodeRegistryAuth(Buffer.from(JSON.stringify({ username: 'u', identitytoken: 'refresh-me', serveraddress: 'r' })).toString('base64url'));
    assert.deepEqual(registryCredentials(withToken), { username: 'u', password: '', identityToken: 'refresh-me' });
    assert.deepEqual(registryCredentials(decodeRegistryAuth(Buffer.from(JSON.stringify({ identitytoken: 't' })).toString('base64'))), { username: '', password: '', identityToken: 't' });
    assert.deepEqual(registryCredentials({ username: 'u', password: 'p' }), { username: 'u', password: 'p' });
    assert.equal(registryCredentials({ username: 'u' }), undefined);
    assert.equal(registryCredentials(undefined), undefined);
    const config = Buffer.from(JSON.stringify({ '127.0.0.1:5000': { username: 'c', identitytoken: 'rt' } })).toString('base64');
    assert.deepEqual(registryCredentials(decodeRegistryConfig(config)['127.0.0.1:5000']), { username: 'c', password: '', identityToken: 'rt' });
  });

  it('the identity token is sent to the registry\'s token service as an OAuth2 refresh token', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const port = (server.address() as AddressInfo).port;
        if (req.url?.startsWith('/token') && req.method === 'POST') {
          const form = new URLSearchParams(body);
          seen.push(`${form.get('grant_type')} ${form.get('refresh_token')}`);
          res.writeHead(form.get('refresh_token') === 'refresh-me' ? 200 : 401, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ access_token: 'granted' }));
        }
        if (req.headers.authorization === 'Bearer granted') return res.writeHead(200).end('{}');
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test"` }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const credentials = registryCredentials(decodeRegistryAuth(Buffer.from(JSON.stringify({ username: 'u', identitytoken: 'refresh-me' })).toString('base64')));
      await new RegistryClient({ registry, tlsVerify: false, credentials, retries: 1 }).ping();
      assert.deepEqual(seen, ['refresh_token refresh-me']);
    } finally {
      server.close();
    }
  });

  it('X-Registry-Config maps registry hosts to credentials', () => {
    const header = Buffer.from(JSON.stringify({ 'https://index.docker.io/v1/': { username: 'a', password: 'b' }, '127.0.0.1:5000': { username: 'c', password: 'd' } })).toString('base64');
    assert.deepEqual(decodeRegistryConfig(header), { 'index.docker.io': { username: 'a', password: 'b' }, '127.0.0.1:5000': { username: 'c', password: 'd' } });
    assert.deepEqual(decodeRegistryConfig('not json'), {});
  });
});

describe('progress messages', () => {
  it('a pull says what Docker says per layer, with byte counts at most every 100 ms but always the last', () => {
    const sent: JsonMessage[] = [];
    let now = 0;
    const p = new LayerProgress('pull', (m) => sent.push(m), () => now);
    p.line('Copying blob 111111111111 skipped: already exists');
    now = 1000;
    p.bytes('222222222222', 10, 100);
    now = 1050;
    p.bytes('222222222222', 50, 100);
    now = 1060;
    p.bytes('222222222222', 100, 100);
    p.line('Copying blob 222222222222 done');
    p.line('Copying config 3333333333 done');
    assert.deepEqual(
      sent.map((m) => [m.status, m.id, m.progressDetail]),
      [
        ['Already exists', '111111111111', {}],
        ['Pulling fs layer', '222222222222', {}],
        ['Downloading', '222222222222', { current: 10, total: 100 }],
        ['Downloading', '222222222222', { current: 100, total: 100 }],
        ['Download complete', '222222222222', {}],
        ['Pull complete', '222222222222', {}],
      ],
    );
    assert.equal(p.copied, true);
  });

  it('a push prepares, pushes and reports layers the registry has', () => {
    const sent: JsonMessage[] = [];
    const p = new LayerProgress('push', (m) => sent.push(m));
    p.line('Copying blob 444444444444 done');
    p.line('Copying blob 555555555555 skipped: already exists');
    assert.deepEqual(
      sent.map((m) => m.status),
      ['Preparing', 'Pushed', 'Layer already exists'],
    );
  });

  it('progressBar draws Docker bar text', () => {
    assert.equal(progressBar(500_000, 1_000_000), `[${'='.repeat(25)}>${' '.repeat(24)}]    500kB/1MB`);
    assert.equal(progressBar(1_000_000, 1_000_000).startsWith(`[${'='.repeat(50)}]`), true);
  });

  it('build step lines read as the classic builder', () => {
    assert.equal(classicBuildLine('STEP 1/3: FROM busybox'), 'Step 1/3 : FROM busybox\n');
    assert.equal(classicBuildLine('[2/2] STEP 2/4: RUN echo hi'), 'Step 2/4 : RUN echo hi\n');
    assert.equal(classicBuildLine('--> 0123456789a'), ' ---> 0123456789a\n');
    assert.equal(classicBuildLine('--> Using cache 0123456789abcdef'), ' ---> Using cache\n');
    assert.equal(classicBuildLine('COMMIT x'), undefined);
  });
});
