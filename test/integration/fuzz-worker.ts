/**
 * Runs one fuzz target in its own process, so a hang is caught by the
 * parent's timeout instead of freezing the suite. Prints one JSON line:
 * { cases, failures: [{ input, error }], slowest }.
 *
 * node --import tsx test/integration/fuzz-worker.ts '<target>' <runs> <seed> <scratch-base>
 */
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { FUZZ_TARGETS, isClearError, scratchDir } from './fuzz-targets.js';

const [name = '', runsArg = '100', seedArg = '1', base = '/var/tmp'] = process.argv.slice(2);
const target = FUZZ_TARGETS[name];
if (!target) throw new Error(`no fuzz target ${name}`);
const runs = Math.max(1, Math.round(Number(runsArg) * (target.weight ?? 1)));
const scratch = scratchDir(base, name);
const clear = target.clearError ?? isClearError;
const failures: Array<{ input: string; error: string }> = [];
let slowest = 0;
try {
  for (const input of fc.sample(target.input, { numRuns: runs, seed: Number(seedArg) })) {
    const started = Date.now();
    try {
      await target.run(input, scratch);
    } catch (e) {
      if (!clear(e)) {
        const error = e instanceof Error ? `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 4).join('\n')}` : String(e);
        failures.push({ input: JSON.stringify(input, (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v)).slice(0, 400), error });
      }
    }
    slowest = Math.max(slowest, Date.now() - started);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify({ cases: runs, failures, slowest })}\n`);
