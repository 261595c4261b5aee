'use strict';
// The entry of dist/undici.cjs: the part of undici the registry client uses
// (an Agent whose dispatcher has request()). undici's index also loads fetch,
// the mock agents and the proxy agents; measured without a code cache, this
// entry loads in ~35 ms against ~65 ms for the index, on every pull and push.
//
// undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it with
// its baseline compiler first and then again, in the background, with
// TurboFan: ~50-100 ms of a core in every pull or push, which competes with
// the transfer itself on a small machine. The baseline code parses the few
// response headers of registry traffic just as well (bodies pass through
// untouched), so wasm stays on the baseline compiler. Only undici runs
// WebAssembly in tspod.
const v8 = require('node:v8');
v8.setFlagsFromString('--liftoff-only');
// A V8 code cache records the flags it was made under and is refused under
// others. bin/launch.cjs writes its caches as the process exits, and the next
// start loads them before this flag is set: the flag, and the two it turned
// off, go back to their defaults first (a registry-push test checks that the
// caches are not rewritten).
process.prependListener('exit', () => v8.setFlagsFromString('--no-liftoff-only --wasm-tier-up --wasm-dynamic-tiering'));

const Agent = require('undici/lib/dispatcher/agent');
const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const api = require('undici/lib/api');

Object.assign(Dispatcher.prototype, api);
module.exports = { Agent };
