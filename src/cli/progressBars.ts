/**
 * Copy progress as Podman shows it: on a terminal, one bar per blob
 * (`Copying blob 1a2b3c4d5e6f [=====>-----] 12.3MiB / 40.1MiB`) redrawn in
 * place until it ends as `... done`; elsewhere the plain lines alone.
 */

export interface CopyProgress {
  progress?: (line: string) => void;
  blobProgress?: (blob: string, done: number, total: number) => void;
  /** Draws the final state and stops redrawing. */
  finish(): void;
}

interface Row {
  text: string;
  /** Blob rows: the short digest the lines name the blob by. */
  blob?: string;
  done?: number;
  total?: number;
  /** `done`, `skipped: already exists`: the row is finished. */
  outcome?: string;
}

const BAR_WIDTH = 30;
const REDRAW_MS = 100;
const BLOB_LINE = /^Copying blob (\S+) (.+)$/;

/** `quiet`: nothing; a terminal: bars; otherwise plain lines when `plainWhenPiped`. */
export function copyProgress(write: (text: string) => void, opts: { quiet?: boolean; tty: boolean; plainWhenPiped: boolean; columns?: number }): CopyProgress {
  if (opts.quiet || (!opts.tty && !opts.plainWhenPiped)) return { finish: () => undefined };
  if (!opts.tty) return { progress: (line) => write(`${line}\n`), finish: () => undefined };
  const bars = new BarDisplay(write, opts.columns || 80);
  return { progress: (line) => bars.line(line), blobProgress: (blob, done, total) => bars.bytes(blob, done, total), finish: () => bars.finish() };
}

class BarDisplay {
  private readonly rows: Row[] = [];
  /** Rows before this index are finished and printed for good. */
  private committed = 0;
  /** Lines of the live area on screen, below the committed rows. */
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (text: string) => void,
    private readonly columns: number,
  ) {}

  line(text: string): void {
    const m = BLOB_LINE.exec(text);
    if (m) this.row(m[1]!).outcome = m[2]!;
    else this.rows.push({ text });
    this.draw();
  }

  bytes(blob: string, done: number, total: number): void {
    const known = this.rows.length;
    const row = this.row(blob);
    row.done = done;
    row.total = total;
    // A new bar shows at once; updates are redrawn a few times a second.
    if (this.rows.length > known) return this.draw();
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, REDRAW_MS).unref();
  }

  finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
  }

  private row(blob: string): Row {
    let row = this.rows.find((r, i) => i >= this.committed && r.blob === blob && r.outcome === undefined);
    if (!row) {
      row = { text: `Copying blob ${blob}`, blob };
      this.rows.push(row);
    }
    return row;
  }

  private draw(): void {
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (let i = this.committed; i < this.rows.length; i++) out += `\r${this.render(this.rows[i]!)}\x1b[K\n`;
    while (this.committed < this.rows.length && (this.rows[this.committed]!.blob === undefined || this.rows[this.committed]!.outcome !== undefined)) this.committed++;
    this.drawn = this.rows.length - this.committed;
    this.write(out);
  }

  private render(row: Row): string {
    if (row.blob === undefined) return this.fit(row.text);
    if (row.outcome !== undefined) return this.fit(`${row.text} ${row.outcome}`);
    const total = row.total ?? 0;
    const done = Math.min(row.done ?? 0, total);
    const filled = total > 0 ? Math.floor((done / total) * BAR_WIDTH) : 0;
    const bar = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : `${'='.repeat(filled)}>${'-'.repeat(BAR_WIDTH - filled - 1)}`;
    return this.fit(`${row.text} [${bar}] ${formatSize(done)} / ${formatSize(total)}`);
  }

  /** A line that wraps would break the cursor arithmetic. */
  private fit(text: string): string {
    return text.length < this.columns ? text : text.slice(0, Math.max(1, this.columns - 1));
  }
}

/** Sizes as Podman's bars print them: 1024-based, one decimal. */
export function formatSize(bytes: number): string {
  const units = ['b', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)}${units[unit]}`;
}
