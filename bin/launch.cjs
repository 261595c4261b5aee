'use strict';
// Runs dist/tspod.cjs through its V8 code cache (codeCache.cjs). The bundles
// it requires later as `./NAME.cjs` (dist/undici.cjs, for registry commands
// only) go through caches of their own.
const path = require('node:path');
const Module = require('node:module');
const { runCached } = require('./codeCache.cjs');

const file = path.join(__dirname, '..', 'dist', 'tspod.cjs');

// The launcher kept NODE_EXTRA_CA_CERTS from Node's start-up (bin/tspod): it is back for whoever needs it.
if (process.env.TSPOD_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.TSPOD_EXTRA_CA_CERTS;
  delete process.env.TSPOD_EXTRA_CA_CERTS;
}

/** Runs a bundle; its cache, if it needs a new one, is written as the process exits, when the command's code has run. */
function run(target, requireFn) {
  const { exports, saveCache } = runCached(target, requireFn);
  process.once('exit', saveCache);
  return exports;
}

if (!require('node:fs').existsSync(file)) {
  process.stderr.write(`Error: tspod is not built: run 'make build' in ${path.dirname(__dirname)}\n`);
  process.exit(125);
}
const plainRequire = Module.createRequire(file);
const siblings = new Map();
const bundleRequire = Object.assign((id) => {
  if (!/^\.\/[\w-]+\.cjs$/.test(id)) return plainRequire(id);
  const target = path.join(path.dirname(file), id);
  if (!siblings.has(target)) siblings.set(target, run(target, Module.createRequire(target)));
  return siblings.get(target);
}, plainRequire);
run(file, bundleRequire);
