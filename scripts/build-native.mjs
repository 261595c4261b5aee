// Builds native/build/Release/tspod_native.node when it is missing or older
// than its sources. Without a C toolchain it warns and exits 0: tspod then
// uses its spawn-based fallbacks (src/os/syscalls.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const nativeDir = join(root, 'native');
const sources = ['tspod_native.c', 'binding.gyp'].map((name) => join(nativeDir, name));
const output = join(nativeDir, 'build', 'Release', 'tspod_native.node');
const nodeGyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');

function isUpToDate() {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return sources.every((source) => statSync(source).mtimeMs <= built);
}

function hasProgram(program) {
  return spawnSync(program, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Node's headers: the distro's (/usr/include/node), else whatever node-gyp finds or downloads. */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  return existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined;
}

function skip(reason) {
  console.warn(`warning: not building the native addon (${reason}); tspod will use slower spawn-based fallbacks`);
  process.exit(0);
}

if (isUpToDate()) process.exit(0);
const missing = ['cc', 'make', 'python3'].filter((program) => !hasProgram(program));
if (missing.length > 0) skip(`missing ${missing.join(', ')}: install build-essential and python3`);
if (!existsSync(nodeGyp)) skip('node-gyp is not installed: run npm ci');

const dir = nodeDir();
const args = [nodeGyp, 'rebuild', '--directory', nativeDir, '--loglevel', 'warn', ...(dir ? [`--nodedir=${dir}`] : [])];
const result = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (result.status !== 0) {
  process.stderr.write(result.stdout + result.stderr);
  console.error('error: building the native addon failed');
  process.exit(1);
}
try {
  createRequire(import.meta.url)(output);
} catch (e) {
  console.error(`error: the freshly built native addon does not load: ${e.message}`);
  process.exit(1);
}
console.log(`built ${relative(root, output)}`);
