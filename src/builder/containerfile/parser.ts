/**
 * Containerfile / Dockerfile syntax: parser directives (`# syntax=`, `# escape=`),
 * comments, line continuations, JSON and shell forms, leading `--flag=value`
 * options and heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`). Meaning (variables,
 * stages) is the planner's job; this only turns text into instructions.
 */
import { BadInputError } from '../../util/errors.js';

export const INSTRUCTIONS = [
  'FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME',
  'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
] as const;
export type Keyword = (typeof INSTRUCTIONS)[number];

const WITH_FLAGS = new Set<Keyword>(['FROM', 'RUN', 'COPY', 'ADD', 'HEALTHCHECK']);
const WITH_HEREDOCS = new Set<Keyword>(['RUN', 'COPY', 'ADD']);
const JSON_FORMS = new Set<Keyword>(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'VOLUME']);

export interface Heredoc {
  name: string;
  content: string;
  /** Unquoted delimiter: variables in the content are expanded. */
  expand: boolean;
}

export interface Instruction {
  keyword: Keyword;
  /** Leading `--name=value` options, in order (a bare `--name` has value ''). */
  flags: Array<{ name: string; value: string }>;
  /** What follows the keyword and flags, continuations joined. */
  args: string;
  /** The JSON (exec) form's array, when args is one. */
  json?: string[];
  heredocs: Heredoc[];
  /** 1-based line of the keyword. */
  line: number;
  /** `KEYWORD args` as written (continuations joined): what build output shows. */
  text: string;
}

export interface Containerfile {
  file: string;
  escape: string;
  syntax?: string;
  instructions: Instruction[];
}

export class ContainerfileSyntaxError extends BadInputError {}

function syntaxError(file: string, line: number, problem: string): ContainerfileSyntaxError {
  return new ContainerfileSyntaxError(`${file}:${line}: ${problem}`);
}

/** Parses a whole Containerfile; `file` names it in errors. */
export function parseContainerfile(source: string, file = 'Containerfile'): Containerfile {
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escape = '\\';
  let syntax: string | undefined;
  let n = 0;
  // Parser directives: only at the very top, before any comment, blank line or instruction.
  const seen = new Set<string>();
  for (; n < lines.length; n++) {
    const m = /^\s*#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/.exec(lines[n]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (key !== 'escape' && key !== 'syntax' && key !== 'check') break;
    if (seen.has(key)) throw syntaxError(file, n + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw syntaxError(file, n + 1, `invalid escape token "${m[2]}": use \\ or \``);
      escape = m[2]!;
    } else if (key === 'syntax') {
      syntax = m[2];
    }
  }
  const instructions: Instruction[] = [];
  const continued = (text: string) => {
    const trimmed = text.replace(/\s+$/, '');
    return trimmed.endsWith(escape) ? trimmed.slice(0, -1) : undefined;
  };
  while (n < lines.length) {
    const raw = lines[n]!;
    const start = n + 1;
    n++;
    if (/^\s*$/.test(raw) || /^\s*#/.test(raw)) continue;
    let logical = '';
    for (let text = raw; ; ) {
      const body = continued(text);
      if (body === undefined) {
        logical += text;
        break;
      }
      logical += body;
      // Comment and empty lines inside a continuation are dropped.
      while (n < lines.length && (/^\s*#/.test(lines[n]!) || /^\s*$/.test(lines[n]!))) n++;
      if (n >= lines.length) break;
      text = lines[n++]!;
    }
    logical = logical.replace(/^\s+/, '');
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(logical);
    const word = m?.[1] ?? '';
    const keyword = word.toUpperCase() as Keyword;
    if (!(INSTRUCTIONS as readonly string[]).includes(keyword)) {
      throw syntaxError(file, start, `unknown instruction: ${word}`);
    }
    let args = (m?.[2] ?? '').trim();
    const written = args;
    const flags: Array<{ name: string; value: string }> = [];
    if (WITH_FLAGS.has(keyword)) {
      for (;;) {
        const f = /^--([A-Za-z][A-Za-z0-9-]*)(?:=((?:"[^"]*"|'[^']*'|\S)*))?(?:\s+|$)/.exec(args);
        if (!f) break;
        flags.push({ name: f[1]!, value: f[2] ?? '' });
        args = args.slice(f[0].length);
      }
    }
    const heredocs: Heredoc[] = [];
    if (WITH_HEREDOCS.has(keyword)) {
      const markers = [...args.matchAll(/<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g)];
      for (const marker of markers) {
        const stripTabs = marker[1] === '-';
        const name = marker[3]!;
        let content = '';
        let closed = false;
        while (n < lines.length) {
          const line = lines[n++]!;
          const body = stripTabs ? line.replace(/^\t+/, '') : line;
          if (body === name) {
            closed = true;
            break;
          }
          content += body + '\n';
        }
        if (!closed) throw syntaxError(file, start, `unterminated heredoc: no line "${name}" ends <<${marker[1]}${marker[2]}${name}${marker[2]}`);
        heredocs.push({ name, content, expand: marker[2] === '' });
      }
    }
    let json: string[] | undefined;
    if (JSON_FORMS.has(keyword) && args.startsWith('[')) {
      try {
        const parsed = JSON.parse(args) as unknown;
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) json = parsed as string[];
      } catch {
        // not JSON: the shell form, as Docker does
      }
    }
    if (args === '' && keyword !== 'HEALTHCHECK' && !(keyword === 'ENTRYPOINT' || keyword === 'CMD')) {
      throw syntaxError(file, start, `${keyword} requires at least one argument`);
    }
    instructions.push({ keyword, flags, args, json, heredocs, line: start, text: `${keyword} ${written}`.trim() });
  }
  return { file, escape, syntax, instructions };
}

/** The instruction inside ONBUILD (ONBUILD ONBUILD, FROM and MAINTAINER are refused). */
export function parseOnbuildTrigger(trigger: string, file: string, line: number, escape = '\\'): Instruction {
  const parsed = parseContainerfile(`# escape=${escape}\n${trigger}`, file);
  const inner = parsed.instructions[0];
  if (!inner || parsed.instructions.length !== 1) throw syntaxError(file, line, `ONBUILD needs one instruction, got "${trigger}"`);
  if (inner.keyword === 'ONBUILD' || inner.keyword === 'FROM' || inner.keyword === 'MAINTAINER') {
    throw syntaxError(file, line, `${inner.keyword} isn't allowed as an ONBUILD trigger`);
  }
  return { ...inner, line };
}
