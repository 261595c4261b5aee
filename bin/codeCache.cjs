'use strict';
// Runs the bundles in dist/ through V8 code caches (Node 20 has no built-in
// compile cache): compiled code is read from NAME.cjs.cache instead of being
// parsed and compiled again on every start. A stale or torn cache is rejected
// by V8 and simply rewritten. Used by launch.cjs (the CLI and the bundles it
// requires) and launch-worker.cjs (worker threads).
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const { isAscii } = require('node:buffer');

const [WRAP_HEAD, WRAP_TAIL] = Module.wrapper;

/**
 * A bundle's source, already wrapped as a CommonJS module function. The
 * wrapper is read into the same buffer as the file: wrapping the string
 * instead makes V8 copy all of it once more to flatten it (~2.4 MB for the
 * CLI, into fresh memory). V8 keeps an ASCII source as one byte per
 * character, and decoding it as latin1 skips UTF-8 validation: ~5 ms less on
 * each start (scripts/build.mjs keeps the bundles ASCII).
 */
function readWrappedSource(target) {
  const fd = fs.openSync(target, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const bytes = Buffer.allocUnsafeSlow(WRAP_HEAD.length + size + WRAP_TAIL.length);
    bytes.latin1Write(WRAP_HEAD, 0);
    let at = WRAP_HEAD.length;
    for (let n; at < WRAP_HEAD.length + size && (n = fs.readSync(fd, bytes, at, WRAP_HEAD.length + size - at, null)) > 0; ) at += n;
    const end = at + bytes.latin1Write(WRAP_TAIL, at);
    return isAscii(bytes) ? bytes.latin1Slice(0, end) : bytes.toString('utf8', 0, end);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Runs a CommonJS bundle compiled with its code cache. Returns its exports and
 * `saveCache`, which writes a new cache when there was none or V8 refused it
 * (and does nothing otherwise); call it once the code that matters has run,
 * so that the cache holds it compiled.
 */
function runCached(target, requireFn) {
  const cacheFile = `${target}.cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(readWrappedSource(target), { filename: target, cachedData, importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  const stale = !cachedData || script.cachedDataRejected;
  const saveCache = () => {
    if (!stale) return;
    try {
      const tmp = `${cacheFile}.${process.pid}.${require('node:worker_threads').threadId}`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // a read-only checkout just runs without the cache
    }
  };
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, requireFn, mod, target, path.dirname(target));
  return { exports: mod.exports, saveCache };
}

module.exports = { runCached };
