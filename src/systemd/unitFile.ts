/** systemd unit-file syntax: sections, repeated keys, comments, `\` continuations, quoted words. */

export interface UnitEntry {
  key: string;
  value: string;
  line: number;
}

export interface UnitSection {
  name: string;
  entries: UnitEntry[];
}

export class UnitSyntaxError extends Error {}

export function parseUnit(text: string, file: string): UnitSection[] {
  const sections: UnitSection[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    }
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw new UnitSyntaxError(`${file}:${lineNo}: invalid section header "${line}"`);
      sections.push({ name: line.slice(1, -1), entries: [] });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new UnitSyntaxError(`${file}:${lineNo}: expected KEY=VALUE, got "${line}"`);
    const current = sections[sections.length - 1];
    if (!current) throw new UnitSyntaxError(`${file}:${lineNo}: "${line}" is outside any [Section]`);
    current.entries.push({ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), line: lineNo });
  }
  return sections;
}

/** Splits a value into words the way systemd does: blanks separate, quotes group, backslash escapes. */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && i + 1 < value.length) cur += value[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < value.length) {
      cur += value[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new UnitSyntaxError(`unterminated quote in "${value}"`);
  if (inWord) words.push(cur);
  return words;
}

export function renderUnit(sections: UnitSection[]): string {
  return sections
    .map((s) => [`[${s.name}]`, ...s.entries.map((e) => `${e.key}=${e.value}`)].join('\n'))
    .join('\n\n')
    .concat('\n');
}
