// Bundles the CLI into one CommonJS file, dist/tspod.cjs, started by
// bin/launch.cjs with a V8 code cache. Measured here (hyperfine, `images`
// with a few images): ESM chunks with lazy imports 145 ms, this bundle with
// the code cache 107 ms, `node -e 0` 86 ms. Modules still initialise lazily
// (esbuild's wrappers), so unused commands cost only their parse.
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * esbuild writes strings and names as ASCII escapes but keeps other
 * characters in regular expressions and comments as they are. There the
 * same escapes mean the same, and an all-ASCII bundle is read and kept by
 * V8 at one byte a character (bin/launch.cjs): ~5 ms less on every start.
 * U+2028 and U+2029 stay: in a comment they end a line, and an escape would not.
 */
function escapeNonAscii(path) {
  const text = readFileSync(path, 'utf8');
  const ascii = text.replace(/[^\x00-\x7f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== text) writeFileSync(path, ascii);
}

/**
 * undici loads node:http2 (and with it tls) and node:http (its client and
 * server) as it starts, ~4 ms on every pull or push. Registry traffic is
 * HTTP/1.1 and undici runs without http2; of node:http it takes only the
 * IncomingMessage class (to tell Node's own responses apart, which tspod never
 * gives it) and the default header size limit.
 */
const undiciWithoutNodeHttp = {
  name: 'undici-without-node-http',
  setup: (b) => {
    b.onResolve({ filter: /^node:http2?$/ }, (args) => ({ path: args.path, namespace: 'left-out' }));
    b.onLoad({ filter: /^node:http2$/, namespace: 'left-out' }, () => ({ contents: "throw new Error('node:http2 is left out of this bundle');", loader: 'js' }));
    b.onLoad({ filter: /^node:http$/, namespace: 'left-out' }, () => ({
      contents: 'module.exports = { IncomingMessage: class IncomingMessage {}, maxHeaderSize: 16384 };',
      loader: 'js',
    }));
  },
};

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// Containers call bin/tspod at any time (conmon's exit command), so a rebuild
// must never leave a moment without a bundle: write beside it, then rename.
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/tspod.cjs.new',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // undici (registry traffic only) is a bundle of its own, dist/undici.cjs, loaded when a registry
  // command runs (bundled in here, it costs every command ~9 ms of parsing) through a code cache
  // of its own: from node_modules it cost each pull or push ~130 ms of CPU, from its bundle ~45 ms.
  // better-sqlite3's JavaScript is bundled, so the code cache holds it (from node_modules it was
  // compiled on every command that opens the database, ~3 ms); its addon is loaded by path (storage/db.ts).
  plugins: [{ name: 'undici-beside', setup: (b) => b.onResolve({ filter: /^undici$/ }, () => ({ path: './undici.cjs', external: true })) }],
  minifySyntax: true,
  legalComments: 'none',
  define: {
    __TSPOD_VERSION__: JSON.stringify(pkg.version),
    __TSPOD_BUILT__: String(Math.floor(Date.now() / 1000)),
    'import.meta.url': '__tspodImportMetaUrl',
  },
  banner: { js: "const __tspodImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
escapeNonAscii('dist/tspod.cjs.new');

// Beside the bundle: undici (see `external` above), and the worker thread for layer extraction
// in pulls (src/image/registry/layerExtractor.ts).
for (const [entry, out] of [
  ['src/image/registry/undiciEntry.cjs', 'undici.cjs'],
  ['src/storage/tar/extractWorker.ts', 'extract-worker.cjs'],
]) {
  await build({
    entryPoints: [entry],
    outfile: `dist/${out}.new`,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minifySyntax: true,
    legalComments: 'none',
    define: { 'import.meta.url': '__tspodImportMetaUrl' },
    banner: { js: "const __tspodImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [undiciWithoutNodeHttp],
    logLevel: 'warning',
  });
  escapeNonAscii(`dist/${out}.new`);
  rmSync(new URL(`../dist/${out}.cache`, import.meta.url), { force: true });
  renameSync(new URL(`../dist/${out}.new`, import.meta.url), new URL(`../dist/${out}`, import.meta.url));
}

// bin/launch.cjs runs the bundle through vm.Script, which has no loader for
// dynamic import(): every import must have become a require.
// (Lines of doc comments, as bundled libraries keep them, are not code.)
const codeLines = readFileSync(new URL('../dist/tspod.cjs.new', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line));
if (codeLines.some((line) => /\bimport\(["'`]/.test(line))) {
  throw new Error('dist/tspod.cjs contains a dynamic import() of a module: import it statically instead');
}
rmSync(new URL('../dist/tspod.cjs.cache', import.meta.url), { force: true });
renameSync(new URL('../dist/tspod.cjs.new', import.meta.url), new URL('../dist/tspod.cjs', import.meta.url));

// Warm the code cache with a command that runs the engine and storage code,
// so the cache holds their compiled functions too.
const { spawnSync } = await import('node:child_process');
const { mkdtempSync } = await import('node:fs');
const scratch = mkdtempSync('/tmp/tspod-build-warm-');
spawnSync(process.execPath, ['bin/launch.cjs', '--root', `${scratch}/root`, '--runroot', `${scratch}/run`, 'images'], { stdio: 'ignore' });
rmSync(scratch, { recursive: true, force: true });
