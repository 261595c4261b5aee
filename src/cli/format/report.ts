/**
 * podman's report output (containers/common pkg/report): default tables, `--format json`, `table ...`
 * templates with derived headers, and plain per-row templates.
 */
import { compileTemplate, formatValue, TemplateError, toGoJson, type Template, type TemplateFunc } from './gotemplate.js';

export interface ReportColumn {
  header: string;
  field: string;
}

export interface ReportOptions {
  format?: string;
  noHeading?: boolean;
  /** The default table's columns; their headers also name those fields in `table` templates. */
  columns: ReportColumn[];
  /** Header overrides by field name (podman's report.Headers overrides); upper-cased like podman does. */
  headers?: Record<string, string>;
  /** Extra template functions. */
  funcs?: Record<string, TemplateFunc>;
  /** The template's name in error messages; podman uses the command's name. */
  name?: string;
}

/**
 * Renders rows as podman's list commands do:
 * - no format (or `table`): the columns as an aligned table, headed unless noHeading;
 * - `json` (or `{{json}}`): the rows as an indented JSON array;
 * - `table <template>`: the template per row, aligned as a table under a header row derived from the fields;
 * - any other template: executed once per row, each followed by a newline (unless the template ranges itself).
 */
export function formatReport(rows: object[], opts: ReportOptions): string {
  const format = opts.format ?? '';
  if (format === '' || format === 'table') return defaultTable(rows, opts);
  if (isJsonFormat(format)) return printJson(rows);
  if (isTableFormat(format)) return templateTable(rows, format, opts);
  return templateLines(rows, format, opts);
}

/** podman's indented JSON (json.MarshalIndent, HTML characters escaped) with a trailing newline. */
export function printJson(value: unknown, options: { indent?: number | string; escapeHtml?: boolean } = {}): string {
  const indent = options.indent ?? 4;
  return `${toGoJson(value, { indent: typeof indent === 'number' ? ' '.repeat(indent) : indent, escapeHtml: options.escapeHtml ?? true })}\n`;
}

/** podman's report.IsJSON: `json`, and the invalid templates `{{json}}` and `{{json .}}`'s neighbour `{{ json. }}`. */
export function isJsonFormat(format: string): boolean {
  return /^\s*(json|{{\s*json\.?\s*}})\s*$/.test(format);
}

/** podman's report.HasTable. */
export function isTableFormat(format: string): boolean {
  return format.startsWith('table ');
}

/** A field's column header: the override, else the column's, else its CamelCase words upper-cased (ImageID → IMAGE ID). */
export function headerFor(field: string, opts: Pick<ReportOptions, 'columns' | 'headers'>): string {
  const override = opts.headers?.[field];
  if (override !== undefined) return override.toUpperCase();
  const column = opts.columns.find((c) => c.field === field);
  if (column) return column.header;
  return splitCamelCase(field).join(' ').toUpperCase();
}

/**
 * Splits a CamelCase name into words: runs of lower-case letters, upper-case letters, digits and other
 * characters, an upper-case run giving its last letter to a following lower-case run (PDFLoader → PDF Loader).
 */
export function splitCamelCase(name: string): string[] {
  const runs: string[][] = [];
  let lastClass = -1;
  for (const ch of name) {
    const cls = characterClass(ch);
    if (cls === lastClass) runs[runs.length - 1]!.push(ch);
    else runs.push([ch]);
    lastClass = cls;
  }
  for (let i = 0; i < runs.length - 1; i++) {
    const [run, following] = [runs[i]!, runs[i + 1]!];
    if (characterClass(run[0]!) === UPPER && characterClass(following[0]!) === LOWER) following.unshift(run.pop()!);
  }
  return runs.filter((run) => run.length > 0).map((run) => run.join(''));
}

const LOWER = 1;
const UPPER = 2;

function characterClass(ch: string): number {
  if (/\p{Ll}/u.test(ch)) return LOWER;
  if (/\p{Lu}/u.test(ch)) return UPPER;
  if (/\p{Nd}/u.test(ch)) return 3;
  return 4;
}

function defaultTable(rows: object[], opts: ReportOptions): string {
  const lines: string[] = [];
  if (!opts.noHeading) lines.push(opts.columns.map((c) => c.header).join('\t'));
  for (const row of rows) {
    const record = row as Record<string, unknown>;
    lines.push(opts.columns.map((c) => cellText(record[c.field])).join('\t'));
  }
  return alignColumns(lines.map((line) => `${line}\n`).join(''));
}

function cellText(value: unknown): string {
  return value === undefined ? '<no value>' : formatValue(value);
}

/**
 * podman's NormalizeFormat for `table` formats: drops `table `, turns `\t` and `\n` escapes into the real
 * characters and spaces into tabs (so `table {{.ID}} {{.Names}}` has two columns), and ends it with a newline.
 */
function normalizeTableFormat(format: string): string {
  const normalized = format.replace(/table |\\t| |\\n/g, (m) => (m === 'table ' ? '' : m === '\\n' ? '\n' : '\t'));
  return withTrailingNewline(normalized);
}

function withTrailingNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function templateTable(rows: object[], format: string, opts: ReportOptions): string {
  // Like podman, fall back to the format as given if the normalized one does not parse (e.g. `printf "\n"`).
  const template = compileFirstValid(
    [`{{range .}}${normalizeTableFormat(format)}{{end -}}`, `{{range .}}${format.slice('table '.length)}{{end -}}`],
    opts,
  );
  const header = opts.noHeading ? '' : template.execute([headerRow(template, rows, opts)]);
  return alignColumns(header + template.execute(rows));
}

/** The header "row" the table template runs on: each field maps to its header. */
function headerRow(template: Template, rows: object[], opts: ReportOptions): Map<string, string> {
  const fields = new Set([...opts.columns.map((c) => c.field), ...template.fieldNames]);
  const first = rows[0];
  if (first && typeof first === 'object' && !(first instanceof Map)) for (const key of Object.keys(first)) fields.add(key);
  return new Map([...fields].map((field) => [field, headerFor(field, opts)]));
}

const RANGE_OVER_DOT = /{{\s*range\s*\.\s*}}.*{{\s*end\s*-?\s*}}/s;

/** A plain template runs once per row, unless it ranges over the rows itself (podman's EnforceRange). */
function enforceRange(format: string): string {
  return RANGE_OVER_DOT.test(format) ? format : `{{range .}}${format}{{end -}}`;
}

function templateLines(rows: object[], format: string, opts: ReportOptions): string {
  const normalized = withTrailingNewline(format.replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n')));
  return compileFirstValid([enforceRange(normalized), enforceRange(format)], opts).execute(rows);
}

/** Compiles the first source that parses; if none does, throws the last one's error. */
function compileFirstValid(sources: string[], opts: ReportOptions): Template {
  let lastError: unknown;
  for (const source of sources) {
    try {
      return compileTemplate(source, opts.funcs, { name: opts.name });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

export interface AlignOptions {
  minWidth?: number;
  padding?: number;
}

interface Cell {
  text: string;
  width: number;
}

/**
 * Aligns tab-separated cells as Go's text/tabwriter with podman's settings (minwidth 12, padding 2, padded
 * with spaces). A cell is tab-terminated: a line's text after its last tab is not part of any column, and
 * a column's width is set by the run of adjacent lines that have a cell in it.
 */
export function alignColumns(text: string, options: AlignOptions = {}): string {
  const settings = { minWidth: options.minWidth ?? 12, padding: options.padding ?? 2 };
  const lines: Cell[][] = text.split('\n').map((line) => line.split('\t').map((cell) => ({ text: cell, width: [...cell].length })));
  const out: string[] = [];
  formatColumns(lines, [], 0, lines.length, out, settings);
  return out.join('');
}

function formatColumns(lines: Cell[][], widths: number[], first: number, end: number, out: string[], settings: Required<AlignOptions>): void {
  const column = widths.length;
  let pending = first;
  for (let row = first; row < end; row++) {
    if (column >= lines[row]!.length - 1) continue;
    // This line starts a block of lines with a cell in this column.
    writeLines(lines, widths, pending, row, out);
    const blockStart = row;
    let width = settings.minWidth;
    for (; row < end && column < lines[row]!.length - 1; row++) width = Math.max(width, lines[row]![column]!.width + settings.padding);
    widths.push(width);
    formatColumns(lines, widths, blockStart, row, out, settings);
    widths.pop();
    pending = row;
  }
  writeLines(lines, widths, pending, end, out);
}

function writeLines(lines: Cell[][], widths: number[], first: number, end: number, out: string[]): void {
  for (let i = first; i < end; i++) {
    const line = lines[i]!;
    line.forEach((cell, j) => {
      out.push(cell.text);
      if (j < widths.length) out.push(' '.repeat(widths[j]! - cell.width));
    });
    if (i + 1 < lines.length) out.push('\n');
  }
}
