// Runs the reliability suites (concurrency, crash, fuzz, isolation) at their
// nightly size and prints the figures each one reports, as one table.
//   node scripts/reliability.mjs            nightly size (N=10,50,200; 25 random kills per command; 5000 cases per parser)
//   node scripts/reliability.mjs --ci       the size CI runs
// TSPOD_RELIABILITY_SEED replays a run; TSPOD_RELIABILITY_N, _KILLS and _FUZZ override the sizes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const suites = ['concurrency', 'crash', 'fuzz', 'isolation'].map((s) => `test/integration/reliability-${s}.test.ts`);
const dir = mkdtempSync(join(tmpdir(), 'tspod-reliability-'));
const report = join(dir, 'figures.txt');
const env = { ...process.env, TSPOD_RELIABILITY_REPORT: report };
if (!process.argv.includes('--ci')) env.TSPOD_RELIABILITY = 'nightly';
const started = Date.now();
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...suites], { stdio: 'inherit', env });
let lines = [];
try {
  lines = readFileSync(report, 'utf8').trim().split('\n').filter(Boolean);
} catch {
  // no suite got as far as its figures
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`\nReliability figures (${env.TSPOD_RELIABILITY ?? 'ci'} size, ${((Date.now() - started) / 1000).toFixed(0)} s):\n`);
for (const line of lines) {
  const [, suite, ...pairs] = line.split(' ');
  process.stdout.write(`  ${suite.padEnd(16)} ${pairs.join('  ')}\n`);
}
process.exit(result.status ?? 1);
