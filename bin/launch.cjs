'use strict';
// Runs dist/tspod.cjs through a V8 code cache (Node 20 has no built-in
// compile cache): compiled code is read from tspod.cjs.cache instead of being
// parsed and compiled again on every start. A stale or torn cache is rejected
// by V8 and simply rewritten.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const file = path.join(__dirname, '..', 'dist', 'tspod.cjs');
const cacheFile = `${file}.cache`;
let source;
try {
  source = fs.readFileSync(file, 'utf8');
} catch {
  process.stderr.write(`Error: tspod is not built: run 'make build' in ${path.dirname(__dirname)}\n`);
  process.exit(125);
}
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(Module.wrap(source), { filename: file, cachedData, importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER });
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
const wrapper = script.runInThisContext();
const mod = { exports: {} };
wrapper.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
