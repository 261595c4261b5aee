// Bundles the CLI into dist/ as ES modules with code splitting: the entry
// chunk holds only argv handling, each command and the engine load on demand.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { tspod: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  external: ['better-sqlite3'],
  minifySyntax: true,
  legalComments: 'none',
  define: { __TSPOD_VERSION__: JSON.stringify(pkg.version) },
  banner: { js: "import { createRequire as __tspodCreateRequire } from 'node:module'; const require = __tspodCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
