/**
 * The engine's copy progress (Podman's lines, `Copying blob 1a2b3c4d5e6f done`,
 * and byte counts per blob) as the JSON messages Docker clients draw: one
 * status per layer id (`Pulling fs layer`, `Downloading` with
 * `progressDetail`, `Pull complete`; or `Preparing`, `Pushing`, `Pushed`), and
 * Buildah's step lines as the classic builder's.
 */
import { humanSizeWithPrecision } from '../../util/units.js';

export type JsonMessage = Record<string, unknown>;

const BLOB_LINE = /^Copying blob (\S+) (.+)$/;
const BAR_WIDTH = 50;
/** Byte-count messages per layer are sent at most this often (the last one always). */
const BYTES_INTERVAL_MS = 100;

/** The `progress` text Docker sends beside `progressDetail`: `[=====>     ]  1.2MB/3.4MB`. */
export function progressBar(current: number, total: number): string {
  const numbers = `${humanSizeWithPrecision(current, 4).padStart(8)}/${humanSizeWithPrecision(total, 4)}`;
  if (total <= 0) return numbers;
  const filled = Math.min(BAR_WIDTH, Math.floor((current / total) * BAR_WIDTH));
  const bar = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : `${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled - 1)}`;
  return `[${bar}] ${numbers}`;
}

const WORDS = {
  pull: { start: 'Pulling fs layer', bytes: 'Downloading', done: ['Download complete', 'Pull complete'], skipped: 'Already exists' },
  push: { start: 'Preparing', bytes: 'Pushing', done: ['Pushed'], skipped: 'Layer already exists' },
};

/** Per-layer messages of a pull or push, from the engine's progress hooks. */
export class LayerProgress {
  private readonly lastBytes = new Map<string, number>();
  private readonly finished = new Set<string>();
  /** Whether any layer had to be copied (a pull that copied nothing found the image up to date). */
  copied = false;

  constructor(
    private readonly kind: 'pull' | 'push',
    private readonly send: (m: JsonMessage) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The engine's `progress` hook. */
  readonly line = (text: string): void => {
    const m = BLOB_LINE.exec(text);
    if (!m) return;
    const [, id, outcome] = m as unknown as [string, string, string];
    const words = WORDS[this.kind];
    if (this.finished.has(id)) return;
    if (outcome.startsWith('skipped')) {
      this.finished.add(id);
      this.send({ status: words.skipped, progressDetail: {}, id });
      return;
    }
    if (outcome !== 'done') return;
    this.started(id);
    this.finished.add(id);
    this.copied = true;
    for (const status of words.done) this.send({ status, progressDetail: {}, id });
  };

  /** The engine's `blobProgress` hook. */
  readonly bytes = (id: string, current: number, total: number): void => {
    if (this.finished.has(id)) return;
    this.started(id);
    const last = this.lastBytes.get(id) ?? 0;
    const now = this.now();
    if (current < total && now - last < BYTES_INTERVAL_MS) return;
    this.lastBytes.set(id, now);
    this.send({ status: WORDS[this.kind].bytes, progressDetail: { current, total }, progress: progressBar(current, total), id });
  };

  private started(id: string): void {
    if (this.lastBytes.has(id)) return;
    this.lastBytes.set(id, 0);
    this.send({ status: WORDS[this.kind].start, progressDetail: {}, id });
  }
}

/**
 * Buildah's step lines as the classic builder prints them: `STEP 1/3: FROM x`
 * is `Step 1/3 : FROM x`, `--> 1a2b3c` is ` ---> 1a2b3c`; the COMMIT line has no
 * counterpart. Each becomes a `{"stream": "...\n"}` message.
 */
export function classicBuildLine(line: string): string | undefined {
  const step = /^(?:\[\d+\/\d+\] )?STEP (\d+\/\d+): (.*)$/s.exec(line);
  if (step) return `Step ${step[1]} : ${step[2]}\n`;
  if (line.startsWith('--> ')) {
    const rest = line.slice(4);
    if (rest.startsWith('Using cache ')) return ` ---> Using cache\n`;
    return ` ---> ${rest.slice(0, 12)}\n`;
  }
  if (line.startsWith('COMMIT')) return undefined;
  return `${line}\n`;
}
