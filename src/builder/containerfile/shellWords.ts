/**
 * The Dockerfile's own word processing (Docker's shell lexer): quotes, the
 * escape character, and `$VAR` / `${VAR}` / `${VAR:-word}` / `${VAR:+word}` /
 * `${VAR-word}` / `${VAR+word}` / `${VAR:?message}` / `${VAR?message}`
 * expansion. Expanded values are never split into more words.
 */
import { BadInputError } from '../../util/errors.js';

export type Vars = ReadonlyMap<string, string>;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

class Lexer {
  private i = 0;
  constructor(
    private readonly input: string,
    private readonly vars: Vars,
    private readonly escape: string,
  ) {}

  /** Words split on unquoted whitespace (split) or the whole input as one word. */
  run(split: boolean, stopAt?: string): string[] {
    const words: string[] = [];
    let word = '';
    let inWord = false;
    const s = this.input;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (stopAt !== undefined && c === stopAt) break;
      if (split && /\s/.test(c)) {
        if (inWord) words.push(word);
        word = '';
        inWord = false;
        this.i++;
        continue;
      }
      inWord = true;
      if (c === this.escape) {
        this.i++;
        if (this.i >= s.length) {
          word += c;
          break;
        }
        word += s[this.i++];
      } else if (c === "'") {
        word += this.singleQuoted();
      } else if (c === '"') {
        word += this.doubleQuoted();
      } else if (c === '$') {
        word += this.dollar();
      } else {
        word += c;
        this.i++;
      }
    }
    if (inWord || !split) words.push(word);
    return words;
  }

  private singleQuoted(): string {
    const s = this.input;
    const end = s.indexOf("'", this.i + 1);
    if (end < 0) throw new BadInputError('unexpected end of statement while looking for matching single-quote');
    const text = s.slice(this.i + 1, end);
    this.i = end + 1;
    return text;
  }

  private doubleQuoted(): string {
    const s = this.input;
    let out = '';
    this.i++;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === this.escape) {
        const next = s[this.i + 1];
        if (next === '"' || next === '$' || next === this.escape) {
          out += next;
          this.i += 2;
          continue;
        }
        out += c;
        this.i++;
      } else if (c === '$') {
        out += this.dollar();
      } else {
        out += c;
        this.i++;
      }
    }
    throw new BadInputError('unexpected end of statement while looking for matching double-quote');
  }

  private dollar(): string {
    const s = this.input;
    this.i++; // $
    const c = s[this.i];
    if (c === undefined) return '$';
    if (c === '{') {
      this.i++;
      const start = this.i;
      while (this.i < s.length && NAME_CHAR.test(s[this.i]!)) this.i++;
      const name = s.slice(start, this.i);
      if (!name) throw new BadInputError(`bad substitution: "\${${s.slice(start, start + 10)}": a variable name is missing`);
      const op = s[this.i];
      if (op === '}') {
        this.i++;
        return this.vars.get(name) ?? '';
      }
      let modifier = '';
      if (op === ':') {
        modifier = ':';
        this.i++;
      }
      const kind = s[this.i];
      if (kind !== '-' && kind !== '+' && kind !== '?') {
        throw new BadInputError(`unsupported modifier "${modifier}${kind ?? ''}" in \${${name}}: use :-, -, :+, +, :? or ?`);
      }
      this.i++;
      const word = this.run(false, '}')[0] ?? '';
      if (s[this.i] !== '}') throw new BadInputError(`missing "}" after \${${name}${modifier}${kind}`);
      this.i++;
      const value = this.vars.get(name);
      const unset = value === undefined || (modifier === ':' && value === '');
      if (kind === '-') return unset ? word : value!;
      if (kind === '+') return unset ? '' : word;
      if (unset) throw new BadInputError(`${name}: ${word || 'is not set'}`);
      return value!;
    }
    if (!NAME_START.test(c)) return '$';
    const start = this.i;
    while (this.i < s.length && NAME_CHAR.test(s[this.i]!)) this.i++;
    return this.vars.get(s.slice(start, this.i)) ?? '';
  }
}

/** One word: quotes removed, variables expanded, whitespace kept. */
export function expandWord(input: string, vars: Vars, escape = '\\'): string {
  return new Lexer(input, vars, escape).run(false)[0] ?? '';
}

/** Words split on unquoted whitespace, each with quotes removed and variables expanded. */
export function expandWords(input: string, vars: Vars, escape = '\\'): string[] {
  return new Lexer(input, vars, escape).run(true);
}

/**
 * Splits on unquoted whitespace without expanding or removing quotes (for
 * `KEY=VALUE` lists whose values are processed one by one afterwards).
 */
export function splitRawWords(input: string, escape = '\\'): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === escape && quote !== "'") {
      word += c + (input[i + 1] ?? '');
      i++;
      continue;
    }
    if (quote) {
      if (c === quote) quote = undefined;
      word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      word += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (word) words.push(word);
      word = '';
      continue;
    }
    word += c;
  }
  if (quote) throw new BadInputError(`unexpected end of statement while looking for matching ${quote === '"' ? 'double' : 'single'}-quote`);
  if (word) words.push(word);
  return words;
}
