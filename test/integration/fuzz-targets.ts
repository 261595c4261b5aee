/**
 * The parsers the fuzz suite attacks, one table entry each: an input
 * generator (fast-check) and a function that feeds one input to the parser.
 * A target passes a case when the parser returns, or throws an error the
 * user may see as it is (`clearError`). Anything else (a TypeError from
 * deep inside, a stack overflow, a hang) is a failure.
 *
 * Adding a parser is one entry here. Still to come (add it when its module
 * lands): REST API request bodies (src/api).
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, lstatSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { TspodError } from '../../src/util/errors.js';
import { formatReference, normalizeDockerHub, parseReference } from '../../src/image/reference.js';
import { formatReport } from '../../src/cli/format/report.js';
import { TemplateError } from '../../src/cli/format/gotemplate.js';
import { loadRegistriesConf, pullSources } from '../../src/config/registriesConf.js';
import { configEnvironment } from '../../src/config/paths.js';
import { readTar } from '../../src/storage/tar/reader.js';
import { applyLayerTar } from '../../src/storage/tar/apply.js';
import { choosePlatform, normalizePlatform, parseImageManifest, parseIndex } from '../../src/image/registry/pullManifest.js';
import { loadArchive } from '../../src/image/archive/load.js';
import { Store } from '../../src/storage/store.js';
import { parseContainerfile } from '../../src/builder/containerfile/parser.js';
import { planStages, predefinedArgs } from '../../src/builder/stages.js';
import { applyConfigInstruction, type ConfigState } from '../../src/builder/configInstructions.js';
import { readDocuments } from '../../src/kube/play.js';
import { loadProject } from '../../src/compose/loader.js';

export interface FuzzTarget<T = unknown> {
  /** What is parsed, as the figures name it. */
  input: fc.Arbitrary<T>;
  run(input: T, scratch: string): unknown;
  /** An error a user may see as it is; by default any TspodError with a one-line message. */
  clearError?: (e: unknown) => boolean;
  /** Cases per run relative to the suite's base count (slow targets run fewer). */
  weight?: number;
}

export function isClearError(e: unknown): boolean {
  return e instanceof TspodError && e.message.length > 0 && !e.message.includes('\n');
}

/** Glues tokens of a language with random text between them: most cases get past the lexer. */
function tokens(words: string[], extra: fc.Arbitrary<string> = fc.string({ maxLength: 6 })): fc.Arbitrary<string> {
  return fc.array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...words) }, { weight: 1, arbitrary: extra }), { maxLength: 24 }).map((p) => p.join(''));
}

const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 50 }));

const HEX64 = 'a'.repeat(64);

const referenceInput = fc.oneof(
  anyText,
  tokens(['localhost', 'docker.io', '127.0.0.1:5000', '[::1]:5000', 'quay.io', '/', '/', ':', ':', '@', 'sha256:', HEX64, 'library', 'busybox', 'latest', 'v1.0', '..', '-', '_', '__', '.', 'A', ':443', `@sha256:${HEX64}`, 'x'.repeat(128), '%', ' ']),
);

const templateInput = fc.oneof(
  anyText,
  tokens([
    '{{', '}}', '{{-', '-}}', '.ID', '.Names', '.Labels', '.Missing', '$', '$x', ':=', '=', 'range', 'end', 'if', 'else', 'with', 'printf', '"%s"', '"%d"', '"%v"', '|', 'json', 'upper', 'lower',
    'table', '\\t', '\\n', ' ', 'index', 'len', 'slice', 'join', 'split', 'define "a"', 'template "a"', 'block "b" .', '(', ')', '`raw`', "'c'", '1', '-1', '1e400', '0x', 'nil', 'true', 'and', 'or', 'not', 'eq', 'lt', 'call', 'break', 'continue', '/*', '*/', ',',
  ]),
);

const PS_ROW = { ID: 'abc123', Names: 'web', Labels: { a: 'b' }, Ports: [], Size: 10, Created: 1700000000, Command: ['sh', '-c', 'x'] };

const tomlInput = fc.oneof(
  anyText,
  tokens([
    'unqualified-search-registries = ', 'short-name-mode = ', '"enforcing"', '"permissive"', '"bogus"', '[[registry]]', '[[registry.mirror]]', 'prefix = ', 'location = ', 'insecure = ', 'blocked = ', 'true', '1',
    '"docker.io"', '"*.example.com"', '"localhost:5000/a/b"', '"[::1]"', '""', '["a.io", "b.io"]', '[1, 2]', '[aliases]', '"busybox" = ', '"docker.io/library/busybox"', 'credential-helpers = ', 'pull-from-mirror = ', '"digest-only"',
    '[registries.search]', 'registries = ', '[registries.insecure]', '\n', '\n', ' ', '#', '{', '}', '=', '.',
  ]),
);

/** One 512-byte ustar header for `name`, with a correct checksum unless told otherwise. */
function header(fields: { name: string; type: string; size: number; linkname: string; mode: string; badChecksum: boolean; raw: Uint8Array }): Buffer {
  const h = Buffer.alloc(512);
  h.write(fields.name.slice(0, 100), 0, 'utf8');
  h.write(fields.mode.padEnd(7, '0').slice(0, 7), 100, 'ascii');
  h.write('0000000', 108);
  h.write('0000000', 116);
  h.write(fields.size.toString(8).padStart(11, '0').slice(-11), 124);
  h.write('00000000000', 136);
  h.write(fields.type.slice(0, 1), 156);
  h.write(fields.linkname.slice(0, 100), 157, 'utf8');
  h.write('ustar\x0000', 257, 'binary');
  Buffer.from(fields.raw).copy(h, 345, 0, Math.min(fields.raw.length, 155));
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${(fields.badChecksum ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

const PATH_PARTS = ['..', '.', 'a', 'b', 'etc', 'escape', '/', '/', '.wh.a', '.wh..wh..opq', 'x'.repeat(60), '\0', 'é'];
const pathInput = fc.array(fc.constantFrom(...PATH_PARTS), { minLength: 1, maxLength: 6 }).map((p) => p.join('/').replace(/\/+/g, '/'));

const tarEntryInput = fc.record({
  name: fc.oneof(pathInput, fc.string({ maxLength: 120 })),
  type: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', 'x', 'g', 'L', 'K', 'S', 'Z', '\0'),
  size: fc.oneof(fc.nat({ max: 2048 }), fc.constantFrom(0, 511, 512, 0o77777777777, 2 ** 33)),
  linkname: fc.oneof(pathInput, fc.constantFrom('/', '/etc/passwd', '../../../../tmp', '')),
  mode: fc.constantFrom('0000644', '0004755', '0000777', 'zzzzzzz', '7777777'),
  badChecksum: fc.boolean(),
  raw: fc.uint8Array({ maxLength: 20 }),
  data: fc.uint8Array({ maxLength: 1500 }),
});

/** A tar of random entries: headers mostly valid, sizes sometimes lying, then random trailing bytes. */
const rawTarInput = fc.record({ entries: fc.array(tarEntryInput, { maxLength: 6 }), tail: fc.uint8Array({ maxLength: 1100 }), cut: fc.nat({ max: 20000 }) }).map(({ entries, tail, cut }) => {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e), Buffer.from(e.data));
    const pad = (512 - (e.data.length % 512)) % 512;
    parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.from(tail));
  const all = Buffer.concat(parts);
  return cut > 0 && cut < all.length ? all.subarray(0, cut) : all;
});

/** A well-formed tar (tar-stream's packer) of hostile names, links and whiteouts: the extractor must keep it inside its target. */
const hostileLayerInput = fc.array(
  fc.record({
    name: pathInput,
    type: fc.constantFrom('file', 'directory', 'symlink', 'link', 'fifo') as fc.Arbitrary<'file' | 'directory' | 'symlink' | 'link' | 'fifo'>,
    linkname: fc.oneof(pathInput, fc.constantFrom('/', '..', '../..', '/OUTSIDE', '/OUTSIDE/sentinel')),
    data: fc.string({ maxLength: 20 }),
  }),
  { minLength: 1, maxLength: 8 },
);

async function packLayer(entries: Array<{ name: string; type: 'file' | 'directory' | 'symlink' | 'link' | 'fifo'; linkname: string; data: string }>, outside: string): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    const linkname = e.linkname.replace('/OUTSIDE', outside);
    if (e.type === 'file') pack.entry({ name: e.name, type: 'file', mode: 0o644 }, e.data);
    else pack.entry({ name: e.name, type: e.type, linkname, mode: 0o755 });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Every path below `dir`, relative to it. */
function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.push(relative(dir, p));
      if (e.isDirectory() && !lstatSync(p).isSymbolicLink()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

const descriptorInput = fc.record(
  {
    mediaType: fc.oneof(fc.constantFrom('application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.config.v1+json', 'application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted', 'x/y'), fc.jsonValue()),
    digest: fc.oneof(fc.constant(`sha256:${HEX64}`), fc.string({ maxLength: 80 }), fc.jsonValue()),
    size: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
    platform: fc.oneof(fc.record({ os: fc.oneof(fc.constantFrom('linux', 'windows'), fc.jsonValue()), architecture: fc.oneof(fc.constantFrom('amd64', 'arm64', 'arm'), fc.jsonValue()), variant: fc.jsonValue() }, { requiredKeys: [] }), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

const manifestInput = fc.oneof(
  anyText,
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        schemaVersion: fc.oneof(fc.constant(2), fc.jsonValue()),
        mediaType: fc.jsonValue(),
        config: fc.oneof(descriptorInput, fc.jsonValue()),
        layers: fc.oneof(fc.array(fc.oneof(descriptorInput, fc.jsonValue()), { maxLength: 4 }), fc.jsonValue()),
        manifests: fc.oneof(fc.array(fc.oneof(descriptorInput, fc.jsonValue()), { maxLength: 4 }), fc.jsonValue()),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

/** A docker-archive / oci-archive of random JSON bookkeeping around one real small layer. */
const archiveInput = fc.record({
  manifestJson: fc.oneof(
    fc.jsonValue(),
    fc.array(fc.record({ Config: fc.oneof(fc.constantFrom('config.json', '../config.json', 'nothere.json', '/etc/passwd'), fc.jsonValue()), RepoTags: fc.oneof(fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }), fc.jsonValue()), Layers: fc.oneof(fc.constant(['layer.tar']), fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), fc.jsonValue()) }, { requiredKeys: [] }), { maxLength: 2 }),
  ),
  config: fc.oneof(fc.jsonValue(), fc.record({ architecture: fc.jsonValue(), os: fc.jsonValue(), rootfs: fc.oneof(fc.record({ type: fc.constant('layers'), diff_ids: fc.oneof(fc.array(fc.string(), { maxLength: 2 }), fc.jsonValue()) }), fc.jsonValue()), config: fc.jsonValue() }, { requiredKeys: [] })),
  indexJson: fc.option(manifestInput, { nil: undefined }),
});

async function packArchive(input: { manifestJson: unknown; config: unknown; indexJson?: string }): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  pack.entry({ name: 'config.json' }, JSON.stringify(input.config) ?? 'null');
  pack.entry({ name: 'layer.tar' }, await packLayer([{ name: 'hello', type: 'file', linkname: '', data: 'hi' }], '/nonexistent'));
  if (input.indexJson !== undefined) {
    pack.entry({ name: 'oci-layout' }, '{"imageLayoutVersion":"1.0.0"}');
    pack.entry({ name: 'index.json' }, input.indexJson);
  }
  pack.entry({ name: 'manifest.json' }, JSON.stringify(input.manifestJson) ?? 'null');
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const containerfileInput = fc.oneof(
  anyText,
  tokens([
    'FROM ', 'FROM scratch', 'FROM a AS b', ' AS ', 'ARG ', 'ARG A=1', 'RUN ', 'RUN --mount=type=cache,target=/c ', 'COPY ', 'COPY --from=0 ', 'ADD ', 'ENV ', 'ENV A=b', 'LABEL ', 'CMD ', 'ENTRYPOINT ', 'WORKDIR ', 'USER ',
    'EXPOSE ', '80/tcp', '1-65536', 'VOLUME ', 'SHELL ', 'HEALTHCHECK ', 'CMD', 'NONE', '--interval=1x', '--retries=-1', 'ONBUILD ', 'STOPSIGNAL ', 'MAINTAINER ', '# escape=`', '# syntax=x', '\\', '`', '\n', '\n',
    '<<EOF', '<<-"EOF"', 'EOF', '["a", "b"]', '[', ']', '"', "'", '$A', '${A:-x}', '${A:+y}', '${A?', '${', '}', '=', ' ', '#',
  ]),
);

const kubeYamlInput = fc.oneof(
  anyText,
  tokens([
    'apiVersion: v1\n', 'apiVersion: apps/v1\n', 'kind: Pod\n', 'kind: Deployment\n', 'kind: ConfigMap\n', 'kind: Secret\n', 'kind: Service\n', 'kind: Bogus\n', 'metadata:\n', '  name: p\n', 'spec:\n', '  containers:\n', '  - name: c\n',
    '    image: busybox\n', '    ports:\n', '    - containerPort: 80\n', '      hostPort: x\n', '---\n', '&a ', '*a', '<<: *a\n', '{', '}', '[', ']', ': ', '- ', '  ', '\n', '"', "'", '!!binary ', 'null', '~',
  ]),
);

const composeInput = fc.oneof(
  anyText,
  tokens([
    'services:\n', '  web:\n', '    image: busybox\n', '    ports:\n', '      - "8080:80"\n', '      - abc\n', '    environment:\n', '      A: ${A:-x}\n', '      - B=${B:?no}\n', '    depends_on:\n', '      db:\n', '        condition: service_healthy\n',
    '    extends: web\n', '    profiles: [a]\n', 'networks:\n', 'volumes:\n', 'secrets:\n', 'include:\n', '  - other.yaml\n', '!reset ', '!override ', '$$', '${', '}', '&x ', '*x', '<<: *x\n', ': ', '- ', '\n', '"', "'",
  ]),
);

export const FUZZ_TARGETS: Record<string, FuzzTarget<any>> = {
  Containerfile: {
    input: containerfileInput,
    run(text: string) {
      const file = parseContainerfile(text, 'Containerfile');
      const plan = planStages(file, new Map([['A', '1']]), undefined, predefinedArgs({ os: 'linux', arch: 'amd64' }));
      for (const stage of plan.stages) {
        const state: ConfigState = { config: {}, shell: ['/bin/sh', '-c'], cmdSet: false };
        for (const ins of stage.instructions) {
          if (['RUN', 'COPY', 'ADD', 'ARG'].includes(ins.keyword)) continue;
          applyConfigInstruction(state, ins, new Map([['A', 'x']]), file.escape, 'Containerfile', 'docker');
        }
      }
    },
  },
  'kube YAML (play)': {
    input: kubeYamlInput,
    run(text: string) {
      readDocuments(text, 'fuzz.yaml');
    },
  },
  'compose file': {
    input: composeInput,
    weight: 0.5,
    run(text: string, scratch: string) {
      writeFileSync(join(scratch, 'compose.yaml'), text);
      loadProject({ cwd: scratch, env: { A: 'a' }, warn: () => undefined });
    },
  },
  'image reference': {
    input: referenceInput,
    run(s: string) {
      const ref = parseReference(s);
      // What parses must print back to something that parses to the same thing.
      const again = parseReference(formatReference(ref));
      if (formatReference(again) !== formatReference(ref)) throw new Error(`round trip changed ${s} to ${formatReference(again)}`);
      normalizeDockerHub(ref);
    },
  },
  'Go template (--format)': {
    input: templateInput,
    run(format: string) {
      formatReport([PS_ROW, { ...PS_ROW, ID: 'def', Labels: {} }], { format, columns: [{ header: 'CONTAINER ID', field: 'ID' }], name: 'ps' });
    },
    clearError: (e) => (e instanceof TemplateError || e instanceof TspodError) && (e as Error).message.length > 0,
  },
  'registries.conf': {
    input: tomlInput,
    run(text: string, scratch: string) {
      const file = join(scratch, 'registries.conf');
      writeFileSync(file, text);
      const conf = loadRegistriesConf(configEnvironment({ env: { CONTAINERS_REGISTRIES_CONF: file }, homeDir: scratch, systemDir: scratch, systemCacheDir: scratch }));
      pullSources(conf, 'docker.io/library/busybox:latest');
      pullSources(conf, 'localhost:5000/a/b@sha256:' + HEX64);
    },
  },
  'tar headers': {
    input: rawTarInput,
    async run(bytes: Buffer) {
      for await (const _ of readTar(Readable.from([bytes]))) void _;
    },
  },
  'layer tar (extraction)': {
    input: hostileLayerInput,
    weight: 0.5,
    async run(entries, scratch: string) {
      const outside = join(scratch, 'outside');
      const target = join(scratch, 'layer', 'diff');
      mkdirSync(outside, { recursive: true });
      writeFileSync(join(outside, 'sentinel'), 'untouched');
      const tar = await packLayer(entries, outside);
      try {
        await applyLayerTar(Readable.from([tar]), { targetDir: target, tarSplitPath: join(scratch, 'layer', 'tarsplit.gz'), whiteoutFormat: 'overlay', chown: true });
      } finally {
        const outsideNow = listTree(outside);
        const top = readdirSync(scratch).sort();
        rmSync(join(scratch, 'layer'), { recursive: true, force: true });
        if (outsideNow.join() !== 'sentinel' || top.some((t) => t !== 'outside' && t !== 'layer')) {
          // eslint-disable-next-line no-unsafe-finally
          throw new Error(`wrote outside the layer: ${[...outsideNow, ...top].join(', ')}`);
        }
      }
    },
  },
  'image manifest and index': {
    input: manifestInput,
    run(text: string) {
      const bytes = Buffer.from(text);
      allOf([() => parseImageManifest(bytes, 'fuzz'), () => choosePlatform(parseIndex(bytes, 'fuzz'), normalizePlatform(undefined), 'fuzz')]);
    },
  },
  'image archive (load)': {
    input: archiveInput,
    weight: 0.3,
    async run(input, scratch: string) {
      const store = new Store({ graphRoot: join(scratch, 'root'), runRoot: join(scratch, 'run'), driver: 'overlay' });
      try {
        await loadArchive(Readable.from([await packArchive(input)]), store);
      } finally {
        store.close();
        rmSync(join(scratch, 'root'), { recursive: true, force: true });
        rmSync(join(scratch, 'run'), { recursive: true, force: true });
      }
    },
  },
};

/** Runs every parser step; throws the first unclear error, else the first error. */
function allOf(steps: Array<() => unknown>): void {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      step();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length) throw errors.find((e) => !isClearError(e)) ?? errors[0];
}

/** A private scratch dir per target run. */
export function scratchDir(base: string, target: string): string {
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${target.replace(/[^a-z]+/gi, '-')}-`));
}
