'use strict';
// Runs dist/tspod.cjs through a V8 code cache (Node 20 has no built-in
// compile cache): compiled code is read from tspod.cjs.cache instead of being
// parsed and compiled again on every start. A stale or torn cache is rejected
// by V8 and simply rewritten. The bundles it requires later as `./NAME.cjs`
// (dist/undici.cjs, for registry commands only) go through caches of their own.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const { isAscii } = require('node:buffer');

const file = path.join(__dirname, '..', 'dist', 'tspod.cjs');

// The launcher kept NODE_EXTRA_CA_CERTS from Node's start-up (bin/tspod): it is back for whoever needs it.
if (process.env.TSPOD_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.TSPOD_EXTRA_CA_CERTS;
  delete process.env.TSPOD_EXTRA_CA_CERTS;
}

/** Runs a CommonJS file compiled with its code cache; returns its exports. */
function runCached(target, source, requireFn) {
  const cacheFile = `${target}.cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: target, cachedData, importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        // a read-only checkout just runs without the cache
      }
    });
  }
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, requireFn, mod, target, path.dirname(target));
  return mod.exports;
}

/**
 * A bundle's source. V8 keeps an ASCII source as one byte per character, and
 * decoding it as latin1 skips UTF-8 validation: ~5 ms less on each start than
 * reading the 2.4 MB bundle as UTF-8 (scripts/build.mjs keeps it ASCII).
 */
function readSource(target) {
  const bytes = fs.readFileSync(target);
  return isAscii(bytes) ? bytes.latin1Slice(0, bytes.length) : bytes.toString('utf8');
}

let source;
try {
  source = readSource(file);
} catch {
  process.stderr.write(`Error: tspod is not built: run 'make build' in ${path.dirname(__dirname)}\n`);
  process.exit(125);
}
const plainRequire = Module.createRequire(file);
const siblings = new Map();
const bundleRequire = Object.assign((id) => {
  if (!/^\.\/[\w-]+\.cjs$/.test(id)) return plainRequire(id);
  const target = path.join(path.dirname(file), id);
  if (!siblings.has(target)) siblings.set(target, runCached(target, readSource(target), Module.createRequire(target)));
  return siblings.get(target);
}, plainRequire);
runCached(file, source, bundleRequire);
