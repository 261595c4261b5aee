'use strict';
// A worker thread's entry: runs the bundle named in workerData
// (dist/extract-worker.cjs) through its V8 code cache, as launch.cjs runs the
// CLI's; compiling it from source cost each worker ~30 ms of a core. The
// bundle emits 'tspod:warm' on process once it has done its work once: the
// cache is written then, holding the functions that work compiled.
const Module = require('node:module');
const { workerData } = require('node:worker_threads');
const { runCached } = require('./codeCache.cjs');

const target = workerData.bundle;
const { saveCache } = runCached(target, Module.createRequire(target));
process.once('tspod:warm', saveCache);
