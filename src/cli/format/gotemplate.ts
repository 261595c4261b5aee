/**
 * A Go text/template evaluator, for podman's `--format` templates.
 *
 * JS values stand in for Go values like this:
 * - string, boolean, bigint (int64) and number: an integral number acts as a Go int, any other as a float64;
 * - `null` is a nil interface (printed `<nil>`); `undefined` is the "no value" of a missing map key
 *   (printed `<no value>`, passed to functions as nil);
 * - arrays (and other iterables) are slices;
 * - a Map or a plain object is a Go map: `.Labels.foo` looks the key up and a missing key gives no value,
 *   ranges and `%v` visit the keys sorted (JSON keeps a plain object's own key order, as podman's
 *   structs are usually passed as plain objects);
 * - a class instance, or an object marked with {@link goStruct}, is a Go struct: a missing field is an
 *   error ("can't evaluate field X in type T"), `%v` prints `{v1 v2}`;
 * - a class's methods (functions on its prototype) and getters are Go methods: `.Method arg` calls it; a
 *   function stored in an object's own property is a func value, called with `call`.
 *
 * Not implemented: `define`/`template`/`block`, custom delimiters, missingkey options, complex numbers,
 * iterating channels or Go iterators, `%x` of floats and printf's explicit argument indexes (`%[1]d`).
 */
import { formatGoFloat } from '../../util/goFloat.js';

export type TemplateFunc = (...args: unknown[]) => unknown;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export interface Template {
  readonly name: string;
  /** The field names read off dot or `$` (`ID` for `{{.ID}}`): report headers are looked up by them. */
  readonly fieldNames: readonly string[];
  execute(data: unknown): string;
}

export interface CompileOptions {
  /** The template's name in error messages, as podman names it after the command (`images`). */
  name?: string;
}

export function compileTemplate(src: string, funcs?: Record<string, TemplateFunc>, options: CompileOptions = {}): Template {
  const name = options.name ?? '';
  const funcMap = funcs ? new Map([...DEFAULT_FUNCS, ...Object.entries(funcs)]) : DEFAULT_FUNCS;
  const tokens = new Lexer(src, name).lex();
  const parser = new Parser(tokens, src, name, funcMap);
  const root = parser.parse();
  return new CompiledTemplate(name, src, root, funcMap, [...parser.fieldNames]);
}

const structNames = new WeakMap<object, string>();

/** Marks an object as a Go struct named `typeName`: reading a field it lacks is then an error, as in Go. */
export function goStruct<T extends object>(value: T, typeName: string): T {
  structNames.set(value, typeName);
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Lexer

type TokenKind =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'identifier'
  | 'keyword'
  | 'field'
  | 'variable'
  | 'dot'
  | 'nil'
  | 'bool'
  | 'number'
  | 'char'
  | 'string'
  | 'rawString'
  | 'pipe'
  | 'declare'
  | 'assign'
  | 'leftParen'
  | 'rightParen'
  | 'comma'
  | 'punct'
  | 'error'
  | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);
const ALPHANUMERIC = /^[\p{L}\p{Nd}_]$/u;
const NUMBER_PREFIX =
  /[+-]?(?:0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*(?:[pP][+-]?[0-9_]+)?|0[oO][0-7_]*|0[bB][01_]*|[0-9_]*\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)i?/y;

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphanumeric = (c: string | undefined): boolean => c !== undefined && ALPHANUMERIC.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

function lineOf(src: string, pos: number): number {
  let line = 1;
  for (let i = src.indexOf('\n'); i >= 0 && i < pos; i = src.indexOf('\n', i + 1)) line++;
  return line;
}

class LexError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

class Lexer {
  private readonly tokens: Token[] = [];
  private pos = 0;
  private parenDepth = 0;

  constructor(
    private readonly src: string,
    private readonly name: string,
  ) {}

  /** The tokens; a lexical error ends them with an error token, reported only if the parser gets that far. */
  lex(): Token[] {
    try {
      while (this.pos < this.src.length) this.lexTextAndAction();
      this.emit('eof', '', this.src.length);
    } catch (error) {
      if (!(error instanceof LexError)) throw error;
      this.emit('error', error.message, error.pos);
    }
    return this.tokens;
  }

  private fail(pos: number, message: string): never {
    throw new LexError(message, pos);
  }

  private emit(kind: TokenKind, text: string, pos: number): void {
    this.tokens.push({ kind, text, pos });
  }

  private lexTextAndAction(): void {
    const { src } = this;
    const start = this.pos;
    const open = src.indexOf('{{', start);
    if (open < 0) {
      this.emit('text', src.slice(start), start);
      this.pos = src.length;
      return;
    }
    const trimLeft = src[open + 2] === '-' && isSpace(src[open + 3]);
    const text = trimLeft ? src.slice(start, open).replace(/[ \t\r\n]+$/, '') : src.slice(start, open);
    if (text) this.emit('text', text, start);
    const inside = open + 2 + (trimLeft ? 2 : 0);
    if (src.startsWith('/*', inside)) {
      this.skipComment(open, inside);
      return;
    }
    this.emit('leftDelim', '{{', open);
    this.pos = inside;
    this.lexInsideAction();
  }

  private skipComment(open: number, start: number): void {
    const close = this.src.indexOf('*/', start + 2);
    if (close < 0) this.fail(open, 'unclosed comment');
    const delim = this.rightDelimAt(close + 2);
    if (!delim) this.fail(open, 'comment ends before closing delimiter');
    this.pos = delim.end;
    if (delim.trim) this.skipSpaces();
  }

  /** `}}`, or ` -}}` which also trims the text that follows. */
  private rightDelimAt(pos: number): { start: number; end: number; trim: boolean } | null {
    const { src } = this;
    if (isSpace(src[pos]) && src[pos + 1] === '-' && src.startsWith('}}', pos + 2)) return { start: pos + 2, end: pos + 4, trim: true };
    if (src.startsWith('}}', pos)) return { start: pos, end: pos + 2, trim: false };
    return null;
  }

  private skipSpaces(): void {
    while (isSpace(this.src[this.pos])) this.pos++;
  }

  private lexInsideAction(): void {
    const { src } = this;
    for (;;) {
      const delim = this.rightDelimAt(this.pos);
      if (delim) {
        if (this.parenDepth > 0) this.fail(this.pos, 'unclosed left paren');
        this.emit('rightDelim', '}}', delim.start);
        this.pos = delim.end;
        if (delim.trim) this.skipSpaces();
        return;
      }
      if (this.pos >= src.length) this.fail(this.pos, 'unclosed action');
      this.lexActionToken(src[this.pos]!);
    }
  }

  private lexActionToken(c: string): void {
    const start = this.pos;
    if (isSpace(c)) return this.lexSpace();
    switch (c) {
      case '=':
        return this.single('assign');
      case '|':
        return this.single('pipe');
      case ',':
        return this.single('comma');
      case ':':
        if (this.src[start + 1] !== '=') this.fail(start, 'expected :=');
        this.pos += 2;
        return this.emit('declare', ':=', start);
      case '(':
        this.parenDepth++;
        return this.single('leftParen');
      case ')':
        this.single('rightParen');
        if (--this.parenDepth < 0) this.fail(start, `unexpected right paren ${describeRune(c)}`);
        return;
      case '"':
        return this.lexQuoted('"', 'string', 'unterminated quoted string');
      case "'":
        return this.lexQuoted("'", 'char', 'unterminated character constant');
      case '`':
        return this.lexRawString();
      case '$':
        return this.lexWord('variable', start + 1);
      case '.':
        if (isDigit(this.src[start + 1])) return this.lexNumber();
        if (isAlphanumeric(this.src[start + 1])) return this.lexWord('field', start + 1);
        return this.single('dot');
    }
    if (c === '+' || c === '-' || isDigit(c)) return this.lexNumber();
    if (isAlphanumeric(c)) return this.lexIdentifier();
    if (c >= ' ' && c <= '~') return this.single('punct');
    this.fail(start, `unrecognized character in action: ${describeRune(c)}`);
  }

  private single(kind: TokenKind): void {
    this.emit(kind, this.src[this.pos]!, this.pos);
    this.pos++;
  }

  /** A run of spaces, leaving the space of a ` -}}` trim marker alone. */
  private lexSpace(): void {
    const start = this.pos;
    while (isSpace(this.src[this.pos]) && !this.rightDelimAt(this.pos)?.trim) this.pos++;
    this.emit('space', this.src.slice(start, this.pos), start);
  }

  private lexWord(kind: 'variable' | 'field', from: number): void {
    const start = this.pos;
    this.pos = from;
    while (isAlphanumeric(this.src[this.pos])) this.pos++;
    this.emit(kind, this.src.slice(start, this.pos), start);
  }

  private lexIdentifier(): void {
    const start = this.pos;
    while (isAlphanumeric(this.src[this.pos])) this.pos++;
    const word = this.src.slice(start, this.pos);
    if (word === 'true' || word === 'false') return this.emit('bool', word, start);
    if (word === 'nil') return this.emit('nil', word, start);
    this.emit(KEYWORDS.has(word) ? 'keyword' : 'identifier', word, start);
  }

  private lexNumber(): void {
    const start = this.pos;
    NUMBER_PREFIX.lastIndex = start;
    const match = NUMBER_PREFIX.exec(this.src);
    this.pos = start + (match?.[0].length ?? 0);
    if (this.pos === start || isAlphanumeric(this.src[this.pos])) {
      this.fail(start, `bad number syntax: ${goQuote(this.src.slice(start, this.pos + 1))}`);
    }
    this.emit('number', this.src.slice(start, this.pos), start);
  }

  private lexQuoted(quote: string, kind: 'string' | 'char', unterminated: string): void {
    const start = this.pos;
    for (let i = start + 1; ; i++) {
      const c = this.src[i];
      if (c === undefined || c === '\n') this.fail(start, unterminated);
      if (c === '\\') i++;
      else if (c === quote) {
        this.pos = i + 1;
        return this.emit(kind, this.src.slice(start, this.pos), start);
      }
    }
  }

  private lexRawString(): void {
    const start = this.pos;
    const close = this.src.indexOf('`', start + 1);
    if (close < 0) this.fail(start, 'unterminated raw quoted string');
    this.pos = close + 1;
    this.emit('rawString', this.src.slice(start, this.pos), start);
  }
}

function describeRune(c: string): string {
  const code = c.codePointAt(0)!;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

// ---------------------------------------------------------------------------------------------------------------
// Syntax tree and parser

interface Pipeline {
  pos: number;
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

interface Command {
  pos: number;
  args: Arg[];
}

type Arg =
  | { type: 'field'; pos: number; names: string[] }
  | { type: 'variable'; pos: number; name: string; names: string[] }
  | { type: 'chain'; pos: number; node: Arg; names: string[] }
  | { type: 'identifier'; pos: number; name: string }
  | { type: 'pipe'; pos: number; pipe: Pipeline }
  | { type: 'dot'; pos: number }
  | { type: 'nil'; pos: number }
  | { type: 'bool'; pos: number; value: boolean }
  | { type: 'number'; pos: number; value: number; text: string }
  | { type: 'string'; pos: number; value: string; text: string };

interface ActionNode {
  type: 'action';
  pos: number;
  pipe: Pipeline;
}

interface BranchNode {
  type: 'if' | 'with' | 'range';
  pos: number;
  pipe: Pipeline;
  list: TreeNode[];
  elseList: TreeNode[] | null;
}

type TreeNode = { type: 'text'; text: string } | ActionNode | BranchNode | { type: 'break' | 'continue'; pos: number };

interface StopNode {
  type: 'end' | 'else';
  pos: number;
}

const isStop = (node: TreeNode | StopNode): node is StopNode => node.type === 'end' || node.type === 'else';

const OPERAND_STARTS = new Set<TokenKind>([
  'bool',
  'char',
  'dot',
  'field',
  'identifier',
  'number',
  'nil',
  'string',
  'rawString',
  'variable',
  'leftParen',
]);

class Parser {
  readonly fieldNames = new Set<string>();
  private index = 0;
  private readonly vars = ['$'];
  private rangeDepth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
    private readonly name: string,
    private readonly funcs: ReadonlyMap<string, TemplateFunc>,
  ) {}

  parse(): TreeNode[] {
    const nodes: TreeNode[] = [];
    while (this.peek().kind !== 'eof') {
      const node = this.textOrAction();
      if (isStop(node)) this.fail(node.pos, `unexpected {{${node.type}}}`);
      nodes.push(node);
    }
    return nodes;
  }

  private fail(pos: number, message: string): never {
    throw new TemplateError(`template: ${this.name}:${lineOf(this.src, pos)}: ${message}`);
  }

  private unexpected(token: Token, context: string): never {
    this.fail(token.pos, `unexpected ${describeToken(token)} in ${context}`);
  }

  private next(): Token {
    const token = this.tokens[this.index]!;
    if (token.kind === 'error') this.fail(token.pos, token.text);
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  private backup(): void {
    this.index--;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private nextNonSpace(): Token {
    let token = this.next();
    while (token.kind === 'space') token = this.next();
    return token;
  }

  /** Skips spaces for good, returning the token after them without consuming it. */
  private peekNonSpace(): Token {
    while (this.peek().kind === 'space') this.index++;
    return this.peek();
  }

  private expect(kind: TokenKind, context: string): Token {
    const token = this.nextNonSpace();
    if (token.kind !== kind) this.unexpected(token, context);
    return token;
  }

  private textOrAction(): TreeNode | StopNode {
    const token = this.nextNonSpace();
    if (token.kind === 'text') return { type: 'text', text: token.text };
    if (token.kind === 'leftDelim') return this.action();
    this.unexpected(token, 'input');
  }

  private itemList(): { list: TreeNode[]; stop: StopNode } {
    const list: TreeNode[] = [];
    while (this.peekNonSpace().kind !== 'eof') {
      const node = this.textOrAction();
      if (isStop(node)) return { list, stop: node };
      list.push(node);
    }
    this.fail(this.peek().pos, 'unexpected EOF');
  }

  private action(): TreeNode | StopNode {
    const token = this.nextNonSpace();
    if (token.kind === 'keyword') {
      switch (token.text) {
        case 'if':
        case 'range':
        case 'with':
          return this.control(token.text, token.pos);
        case 'else':
          return this.elseControl(token.pos);
        case 'end':
          this.expect('rightDelim', 'end');
          return { type: 'end', pos: token.pos };
        case 'break':
        case 'continue':
          return this.loopControl(token);
        default:
          this.fail(token.pos, `{{${token.text}}} is not supported`);
      }
    }
    this.backup();
    return { type: 'action', pos: token.pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private loopControl(token: Token): TreeNode {
    if (this.peekNonSpace().kind !== 'rightDelim') this.unexpected(token, `{{${token.text}}}`);
    if (this.rangeDepth === 0) this.fail(token.pos, `{{${token.text}}} outside {{range}}`);
    this.next();
    return { type: token.text as 'break' | 'continue', pos: token.pos };
  }

  private elseControl(pos: number): StopNode {
    const peek = this.peekNonSpace();
    // `{{else if ...}}` and `{{else with ...}}` leave the keyword for the enclosing control to chain.
    if (peek.kind === 'keyword' && (peek.text === 'if' || peek.text === 'with')) return { type: 'else', pos };
    this.expect('rightDelim', 'else');
    return { type: 'else', pos };
  }

  private control(context: 'if' | 'range' | 'with', pos: number): BranchNode {
    const varsInScope = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    if (context === 'range') this.rangeDepth++;
    const { list, stop } = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: TreeNode[] | null = null;
    if (stop.type === 'else') {
      const chained = this.peek();
      if (context !== 'range' && chained.kind === 'keyword' && chained.text === context) {
        this.next();
        elseList = [this.control(context, chained.pos)];
      } else {
        const rest = this.itemList();
        if (rest.stop.type !== 'end') this.fail(rest.stop.pos, 'expected end; found {{else}}');
        elseList = rest.list;
      }
    }
    this.vars.length = varsInScope;
    return { type: context, pos, pipe, list, elseList };
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): Pipeline {
    const pipe: Pipeline = { pos: this.peekNonSpace().pos, decl: [], isAssign: false, cmds: [] };
    this.declarations(pipe, context);
    for (;;) {
      const token = this.nextNonSpace();
      if (token.kind === end) {
        this.checkPipeline(pipe, context, token);
        return pipe;
      }
      if (!OPERAND_STARTS.has(token.kind)) this.unexpected(token, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
  }

  private declarations(pipe: Pipeline, context: string): void {
    const declaredBefore = new Set(this.vars);
    for (;;) {
      const variable = this.peekNonSpace();
      if (variable.kind !== 'variable') return;
      const variableIndex = this.index;
      this.next();
      const next = this.peekNonSpace();
      if (next.kind === 'declare' || next.kind === 'assign') {
        this.next();
        pipe.isAssign = next.kind === 'assign';
        this.declare(pipe, variable.text);
        if (pipe.isAssign) {
          const undeclared = pipe.decl.find((name) => !declaredBefore.has(name));
          if (undeclared) this.fail(variable.pos, `undefined variable "${undeclared}"`);
        }
        return;
      }
      if (next.kind === 'comma') {
        this.next();
        this.declare(pipe, variable.text);
        if (context !== 'range' || pipe.decl.length >= 2) this.fail(next.pos, `too many declarations in ${context}`);
        const after = this.peekNonSpace().kind;
        if (after !== 'variable' && after !== 'rightDelim' && after !== 'rightParen') {
          this.fail(next.pos, 'range can only initialize variables');
        }
        continue;
      }
      this.index = variableIndex;
      return;
    }
  }

  private declare(pipe: Pipeline, name: string): void {
    pipe.decl.push(name);
    this.vars.push(name);
  }

  private checkPipeline(pipe: Pipeline, context: string, end: Token): void {
    if (pipe.cmds.length === 0) this.fail(end.pos, `missing value for ${context}`);
    pipe.cmds.forEach((cmd, i) => {
      const first = cmd.args[0]!.type;
      if (i > 0 && (first === 'bool' || first === 'dot' || first === 'nil' || first === 'number' || first === 'string')) {
        this.fail(cmd.pos, `non executable command in pipeline stage ${i + 1}`);
      }
    });
  }

  private command(): Command {
    const cmd: Command = { pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.kind === 'space') continue;
      if (token.kind === 'rightDelim' || token.kind === 'rightParen') this.backup();
      else if (token.kind !== 'pipe') this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.fail(cmd.pos, 'empty command');
    return cmd;
  }

  private operand(): Arg | null {
    const node = this.term();
    if (!node || this.peek().kind !== 'field') return node;
    const pos = this.peek().pos;
    const names: string[] = [];
    while (this.peek().kind === 'field') names.push(this.next().text.slice(1));
    switch (node.type) {
      case 'field':
        return { ...node, names: [...node.names, ...names] };
      case 'variable':
        if (node.name === '$' && node.names.length === 0) this.fieldNames.add(names[0]!);
        return { ...node, names: [...node.names, ...names] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.fail(pos, `unexpected . after term ${goQuote(argString(node))}`);
      default:
        return { type: 'chain', pos, node, names };
    }
  }

  private term(): Arg | null {
    const token = this.nextNonSpace();
    const { pos, text } = token;
    switch (token.kind) {
      case 'identifier':
        if (!this.funcs.has(text)) this.fail(pos, `function ${goQuote(text)} not defined`);
        return { type: 'identifier', pos, name: text };
      case 'dot':
        return { type: 'dot', pos };
      case 'nil':
        return { type: 'nil', pos };
      case 'variable':
        if (!this.vars.includes(text)) this.fail(pos, `undefined variable ${goQuote(text)}`);
        return { type: 'variable', pos, name: text, names: [] };
      case 'field':
        this.fieldNames.add(text.slice(1));
        return { type: 'field', pos, names: [text.slice(1)] };
      case 'bool':
        return { type: 'bool', pos, value: text === 'true' };
      case 'number':
        return { type: 'number', pos, value: this.number(token), text };
      case 'char':
        return { type: 'number', pos, value: this.charValue(token), text };
      case 'leftParen':
        return { type: 'pipe', pos, pipe: this.pipeline('parenthesized pipeline', 'rightParen') };
      case 'string':
        return { type: 'string', pos, value: this.unquote(token), text };
      case 'rawString':
        return { type: 'string', pos, value: text.slice(1, -1).replace(/\r/g, ''), text };
      default:
        this.backup();
        return null;
    }
  }

  private number(token: Token): number {
    const value = parseGoNumber(token.text);
    if (value === null) this.fail(token.pos, `bad number syntax: ${goQuote(token.text)}`);
    return value;
  }

  private charValue(token: Token): number {
    const value = unquoteGo(token.text.slice(1, -1), "'");
    const runes = value === null ? [] : [...value];
    if (runes.length !== 1) this.fail(token.pos, `malformed character constant: ${token.text}`);
    return runes[0]!.codePointAt(0)!;
  }

  private unquote(token: Token): string {
    const value = unquoteGo(token.text.slice(1, -1), '"');
    if (value === null) this.fail(token.pos, 'invalid syntax');
    return value;
  }
}

function describeToken(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'EOF';
    case 'keyword':
    case 'dot':
    case 'nil':
      return `<${token.text}>`;
  }
  const runes = [...token.text];
  return runes.length > 10 ? `${goQuote(runes.slice(0, 10).join(''))}...` : goQuote(token.text);
}

/** A Go number literal's value, or null when malformed. Go reads a leading 0 as octal. */
function parseGoNumber(literal: string): number | null {
  if (literal.endsWith('i')) return null;
  const sign = literal.startsWith('-') ? -1 : 1;
  const text = literal.replace(/^[+-]/, '').replace(/_/g, '');
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) value = parseInt(text.slice(2), 16);
  else if (/^0[xX]/.test(text)) value = parseHexFloat(text.slice(2));
  else if (/^0[oO][0-7]+$/.test(text)) value = parseInt(text.slice(2), 8);
  else if (/^0[bB][01]+$/.test(text)) value = parseInt(text.slice(2), 2);
  else if (/^0[0-7]+$/.test(text)) value = parseInt(text.slice(1), 8);
  else if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) value = Number(text);
  else return null;
  return Number.isNaN(value) ? null : sign * value;
}

function parseHexFloat(text: string): number {
  const match = /^([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(text);
  if (!match || (match[1] === '' && !match[2])) return NaN;
  const fraction = match[2] ?? '';
  const mantissa = parseInt(`${match[1]}${fraction}` || '0', 16);
  return mantissa * 2 ** (Number(match[3]) - 4 * fraction.length);
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

/** Go's strconv.Unquote of a quoted literal's body; \x and octal escapes are raw bytes, as in Go. */
function unquoteGo(body: string, quote: '"' | "'"): string | null {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < body.length; ) {
    const c = body[i]!;
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...encoder.encode(ch));
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return null;
    if (e in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[e]!);
      i += 2;
    } else if (e === quote) {
      bytes.push(quote.charCodeAt(0));
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const size = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + size);
      if (!new RegExp(`^[0-9a-fA-F]{${size}}$`).test(hex)) return null;
      const value = parseInt(hex, 16);
      if (e === 'x') bytes.push(value);
      else if (value > 0x10ffff || (value >= 0xd800 && value < 0xe000)) return null;
      else bytes.push(...encoder.encode(String.fromCodePoint(value)));
      i += 2 + size;
    } else if (e >= '0' && e <= '7') {
      const octal = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(octal) || parseInt(octal, 8) > 255) return null;
      bytes.push(parseInt(octal, 8));
      i += 4;
    } else {
      return null;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** The source form of an operand, as Go's Node.String() prints it in messages. */
function argString(arg: Arg): string {
  switch (arg.type) {
    case 'field':
      return arg.names.map((n) => `.${n}`).join('');
    case 'variable':
      return arg.name + arg.names.map((n) => `.${n}`).join('');
    case 'chain':
      return argString(arg.node) + arg.names.map((n) => `.${n}`).join('');
    case 'identifier':
      return arg.name;
    case 'pipe':
      return `(${pipelineString(arg.pipe)})`;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(arg.value);
    case 'number':
    case 'string':
      return arg.text;
  }
}

function commandString(cmd: Command): string {
  return cmd.args.map(argString).join(' ');
}

function pipelineString(pipe: Pipeline): string {
  const decl = pipe.decl.length ? `${pipe.decl.join(', ')} ${pipe.isAssign ? '=' : ':='} ` : '';
  return decl + pipe.cmds.map(commandString).join(' | ');
}

function locatedString(node: Located): string {
  if ('args' in node) return commandString(node);
  return node.type === 'action' ? `{{${pipelineString(node.pipe)}}}` : argString(node);
}

// ---------------------------------------------------------------------------------------------------------------
// Execution

/** Go's missingVal: no value piped into a command. */
const NO_FINAL: unique symbol = Symbol('no final value');
type Final = unknown;

type Signal = (typeof Signal)[keyof typeof Signal];
const Signal = { None: 0, Break: 1, Continue: 2 } as const;

type Located = Arg | ActionNode | Command;

class CompiledTemplate implements Template {
  constructor(
    readonly name: string,
    readonly src: string,
    readonly root: TreeNode[],
    readonly funcs: ReadonlyMap<string, TemplateFunc>,
    readonly fieldNames: readonly string[],
  ) {}

  execute(data: unknown): string {
    const execution = new Execution(this, data);
    execution.walk(data, this.root);
    return execution.output;
  }
}

class Execution {
  output = '';
  private readonly vars: Array<{ name: string; value: unknown }>;
  private at: Located | null = null;

  constructor(
    private readonly template: CompiledTemplate,
    data: unknown,
  ) {
    this.vars = [{ name: '$', value: data }];
  }

  private fail(message: string): never {
    const { name, src } = this.template;
    const pos = this.at?.pos ?? 0;
    const lineStart = src.lastIndexOf('\n', pos - 1) + 1;
    let context = this.at ? locatedString(this.at) : '';
    if ([...context].length > 20) context = `${[...context].slice(0, 20).join('')}...`;
    throw new TemplateError(`template: ${name}:${lineOf(src, pos)}:${pos - lineStart}: executing "${name}" at <${context}>: ${message}`);
  }

  walk(dot: unknown, nodes: TreeNode[]): Signal {
    for (const node of nodes) {
      const signal = this.walkNode(dot, node);
      if (signal !== Signal.None) return signal;
    }
    return Signal.None;
  }

  private walkNode(dot: unknown, node: TreeNode): Signal {
    switch (node.type) {
      case 'text':
        this.output += node.text;
        return Signal.None;
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.print(node, value);
        return Signal.None;
      }
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, node);
      case 'range':
        return this.walkRange(dot, node);
      case 'break':
        return Signal.Break;
      case 'continue':
        return Signal.Continue;
    }
  }

  private print(node: ActionNode, value: unknown): void {
    if (typeof value === 'function') {
      this.at = node;
      this.fail(`can't print ${pipelineString(node.pipe)} of type func`);
    }
    this.output += value === undefined ? '<no value>' : formatValue(value);
  }

  private walkIfOrWith(dot: unknown, node: BranchNode): Signal {
    const mark = this.vars.length;
    try {
      const value = this.evalPipeline(dot, node.pipe);
      if (isTrue(value)) return this.walk(node.type === 'with' ? value : dot, node.list);
      return node.elseList ? this.walk(dot, node.elseList) : Signal.None;
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: unknown, node: BranchNode): Signal {
    const mark = this.vars.length;
    try {
      const collection = this.evalPipeline(dot, node.pipe);
      const { decl, isAssign } = node.pipe;
      const bodyMark = this.vars.length;
      let iterated = false;
      for (const [key, element] of this.rangeEntries(collection, decl.length)) {
        iterated = true;
        if (isAssign) {
          if (decl.length > 1) this.setVar(decl[0]!, key);
          this.setVar(decl[decl.length - 1]!, element);
        } else if (decl.length > 0) {
          this.vars[this.vars.length - 1]!.value = element;
          if (decl.length > 1) this.vars[this.vars.length - 2]!.value = key;
        }
        const signal = this.walk(element, node.list);
        this.vars.length = bodyMark;
        if (signal === Signal.Break) break;
      }
      if (!iterated && node.elseList) return this.walk(dot, node.elseList);
      return Signal.None;
    } finally {
      this.vars.length = mark;
    }
  }

  private *rangeEntries(value: unknown, variables: number): Iterable<[unknown, unknown]> {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) return yield* value.entries();
    if (value instanceof Map) {
      for (const key of sortedKeys([...value.keys()])) yield [key, value.get(key)];
      return;
    }
    if (typeof value === 'number' && Number.isInteger(value)) {
      if (variables > 1) this.fail(`can't use ${value} to iterate over more than one variable`);
      for (let i = 0; i < value; i++) yield [i, i];
      return;
    }
    if (isPlainObject(value)) {
      for (const key of sortedKeys(Object.keys(value))) yield [key, value[key]];
      return;
    }
    if (typeof value === 'object' && Symbol.iterator in value) {
      let i = 0;
      for (const element of value as Iterable<unknown>) yield [i++, element];
      return;
    }
    this.fail(`range can't iterate over ${formatValue(value)}`);
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.fail(`undefined variable: ${name}`);
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    this.fail(`undefined variable: ${name}`);
  }

  private evalPipeline(dot: unknown, pipe: Pipeline): unknown {
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: Command, final: Final): unknown {
    const first = cmd.args[0]!;
    this.at = first;
    switch (first.type) {
      case 'field':
        return this.evalFieldChain(dot, dot, first.names, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd.args, final, cmd);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first.pipe);
    }
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'dot':
        return dot;
      case 'nil':
        return this.fail('nil is not a command');
      default:
        return first.value;
    }
  }

  private notAFunction(args: Arg[] | null, final: Final): void {
    if ((args && args.length > 1) || final !== NO_FINAL) this.fail(`can't give argument to non-function ${argString(args![0]!)}`);
  }

  private evalArg(dot: unknown, arg: Arg): unknown {
    this.at = arg;
    switch (arg.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'field':
        return this.evalFieldChain(dot, dot, arg.names, [arg], NO_FINAL);
      case 'variable':
        return this.evalVariable(dot, arg, null, NO_FINAL);
      case 'chain':
        return this.evalChain(dot, arg, null, NO_FINAL);
      case 'identifier':
        return this.evalFunction(dot, arg, [arg], NO_FINAL, arg);
      case 'pipe':
        return this.evalPipeline(dot, arg.pipe);
      default:
        return arg.value;
    }
  }

  private evalVariable(dot: unknown, variable: Arg & { type: 'variable' }, args: Arg[] | null, final: Final): unknown {
    const value = this.varValue(variable.name);
    if (variable.names.length === 0) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable.names, args, final);
  }

  private evalChain(dot: unknown, chain: Arg & { type: 'chain' }, args: Arg[] | null, final: Final): unknown {
    if (chain.node.type === 'nil') this.fail(`indirection through explicit nil in ${argString(chain)}`);
    const receiver = this.evalArg(dot, chain.node);
    this.at = chain;
    return this.evalFieldChain(dot, receiver, chain.names, args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, names: string[], args: Arg[] | null, final: Final): unknown {
    let value = receiver;
    for (let i = 0; i < names.length - 1; i++) value = this.evalField(dot, names[i]!, null, NO_FINAL, value);
    return this.evalField(dot, names[names.length - 1]!, args, final, value);
  }

  private evalField(dot: unknown, name: string, args: Arg[] | null, final: Final, receiver: unknown): unknown {
    if (receiver === undefined) return undefined;
    if (receiver === null) this.fail(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = (args !== null && args.length > 1) || final !== NO_FINAL;
    if (receiver instanceof Map) {
      if (hasArgs) this.fail(`${name} is not a method but has arguments`);
      return receiver.get(name);
    }
    if (typeof receiver !== 'object' || Array.isArray(receiver)) this.fail(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
    const object = receiver as Record<string, unknown>;
    const struct = structName(object);
    if (!hasField(object, name, struct !== null)) {
      if (struct !== null) this.fail(`can't evaluate field ${name} in type ${struct}`);
      if (hasArgs) this.fail(`${name} is not a method but has arguments`);
      return undefined;
    }
    const value = object[name];
    if (typeof value === 'function' && !Object.hasOwn(object, name)) {
      const method = (...a: unknown[]): unknown => (value as TemplateFunc).apply(object, a);
      return this.call(name, method, this.evalArgs(dot, args, final), args, this.at!);
    }
    if (hasArgs) this.fail(struct ? `${name} has arguments but cannot be invoked as function` : `${name} is not a method but has arguments`);
    return value;
  }

  private evalArgs(dot: unknown, args: Arg[] | null, final: Final): unknown[] {
    const values = (args ?? []).slice(1).map((arg) => this.evalArg(dot, arg));
    if (final !== NO_FINAL) values.push(final);
    return values;
  }

  private evalFunction(dot: unknown, ident: Arg & { type: 'identifier' }, args: Arg[], final: Final, site: Located): unknown {
    const fn = this.template.funcs.get(ident.name)!;
    if (fn === andFunc || fn === orFunc) return this.evalAndOr(dot, ident, args, final, fn === orFunc, site);
    return this.call(ident.name, fn, this.evalArgs(dot, args, final), args, site);
  }

  /** and/or stop evaluating their arguments at the first one that decides the result. */
  private evalAndOr(dot: unknown, ident: Arg & { type: 'identifier' }, args: Arg[], final: Final, isOr: boolean, site: Located): unknown {
    if (args.length < 2 && final === NO_FINAL) {
      this.at = site;
      this.fail(`wrong number of args for ${ident.name}: want at least 1 got 0`);
    }
    let value: unknown;
    for (const arg of args.slice(1)) {
      value = this.evalArg(dot, arg);
      if (isTrue(value) === isOr) return value;
    }
    return final !== NO_FINAL ? final : value;
  }

  /** Calls a function or method; `argNodes[0]` names it and the rest are its argument nodes. */
  private call(name: string, fn: TemplateFunc, values: unknown[], argNodes: Arg[] | null, site: Located): unknown {
    try {
      return fn(...values.map((a) => (a === undefined ? null : a)));
    } catch (error) {
      if (error instanceof TemplateError) throw error;
      this.at = site;
      if (error instanceof ArgumentError) this.failArgument(error, values, argNodes);
      this.fail(`error calling ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private failArgument(error: ArgumentError, values: unknown[], argNodes: Arg[] | null): never {
    const node = argNodes?.[error.index + 1];
    if (error.expected === undefined || !node) {
      if (argNodes?.[0]) this.at = argNodes[0];
      this.fail(error.message);
    }
    this.at = node;
    if (node.type === 'number' || node.type === 'string' || node.type === 'bool' || node.type === 'nil') {
      if (error.expected === 'string') this.fail(`expected string; found ${argString(node)}`);
      if (error.expected === 'int') this.fail(`expected integer; found ${argString(node)}`);
      this.fail(`can't handle ${argString(node)} for arg of type ${error.expected}`);
    }
    this.fail(`wrong type for value; expected ${error.expected}; got ${goTypeName(values[error.index])}`);
  }
}

function hasField(object: Record<string, unknown>, name: string, struct: boolean): boolean {
  if (Object.hasOwn(object, name)) return true;
  // A class's getters and methods live on its prototype; Object's own members are not fields.
  return struct && name in object && !(name in Object.prototype);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || structNames.has(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The Go struct type name of a class instance or goStruct-marked object; null for maps. */
function structName(value: object): string | null {
  const marked = structNames.get(value);
  if (marked !== undefined) return marked;
  if (isPlainObject(value) || value instanceof Map || Array.isArray(value)) return null;
  return value.constructor?.name || 'struct';
}

function sortedKeys<K>(keys: K[]): K[] {
  return keys.sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const x = String(a);
    const y = String(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Go's truth: false, 0, "", nil and empty slices and maps are false; structs are true. */
export function isTrue(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'bigint':
      return value !== 0n;
    case 'string':
      return value.length > 0;
    case 'function':
      return true;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Built-in functions

/** A wrong argument (the index-th, of Go type `expected`), reported by Go without the "error calling" prefix. */
class ArgumentError extends Error {
  constructor(
    message: string,
    readonly index = -1,
    readonly expected?: string,
  ) {
    super(message);
  }
}

function arity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length >= min && args.length <= max) return;
  const want = max === Infinity ? `at least ${min}` : String(min);
  throw new ArgumentError(`wrong number of args for ${name}: want ${want} got ${args.length}`);
}

function stringArg(value: unknown, index: number): string {
  if (typeof value !== 'string') throw new ArgumentError('wrong type', index, 'string');
  return value;
}

function intArg(value: unknown, index: number): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ArgumentError('wrong type', index, 'int');
  return value;
}

const andFunc: TemplateFunc = (...args) => args.find((a) => !isTrue(a)) ?? args[args.length - 1];
const orFunc: TemplateFunc = (...args) => args.find((a) => isTrue(a)) ?? args[args.length - 1];

type Kind = 'bool' | 'number' | 'string' | 'nil' | 'other';

function basicKind(value: unknown): Kind {
  if (value === null || value === undefined) return 'nil';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
  }
  return 'other';
}

function eq(...args: unknown[]): boolean {
  if (args.length < 2) throw new Error('missing argument for comparison');
  const [first, ...others] = args;
  const kind = basicKind(first);
  for (const other of others) {
    const otherKind = basicKind(other);
    if (kind !== otherKind) {
      if (kind !== 'nil' && otherKind !== 'nil') throw new Error('incompatible types for comparison');
      continue;
    }
    if (kind === 'other' && (!isComparable(first) || !isComparable(other))) {
      throw new Error(`non-comparable types ${formatValue(first)}: ${goTypeName(first)}, ${goTypeName(other)}: ${formatValue(other)}`);
    }
    // eslint-disable-next-line eqeqeq -- a bigint equals the number of the same value
    if (kind === 'nil' || first == other) return true;
  }
  return false;
}

function isComparable(value: unknown): boolean {
  return !(Array.isArray(value) || value instanceof Map || isPlainObject(value));
}

function lessThan(a: unknown, b: unknown): boolean {
  const kind = basicKind(a);
  if ((kind !== 'number' && kind !== 'string') || (basicKind(b) !== 'number' && basicKind(b) !== 'string')) {
    throw new Error('invalid type for comparison');
  }
  if (kind !== basicKind(b)) throw new Error('incompatible types for comparison');
  return (a as number | string) < (b as number | string);
}

function indexOf(item: unknown, ...indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new Error('index of untyped nil');
  let value: unknown = item;
  for (const index of indexes) value = indexOnce(value, index);
  return value;
}

function indexOnce(value: unknown, index: unknown): unknown {
  if (Array.isArray(value) || typeof value === 'string') {
    if (typeof index !== 'number' && typeof index !== 'bigint') throw new Error(`cannot index slice/array with type ${goTypeName(index)}`);
    const i = Number(index);
    const length = typeof value === 'string' ? utf8Bytes(value).length : value.length;
    if (!Number.isInteger(i) || i < 0 || i >= length) throw new Error(`index out of range: ${i}`);
    return typeof value === 'string' ? utf8Bytes(value)[i] : value[i];
  }
  if (value instanceof Map) return value.has(index) ? value.get(index) : zeroValueOf([...value.values()]);
  if (value !== null && typeof value === 'object') {
    const key = String(index);
    const object = value as Record<string, unknown>;
    return Object.hasOwn(object, key) ? object[key] : zeroValueOf(Object.values(object));
  }
  if (value === null || value === undefined) throw new Error('index of untyped nil');
  throw new Error(`can't index item of type ${goTypeName(value)}`);
}

/**
 * Go's index gives the map's element zero value for a missing key; JS maps carry no element type, so it is
 * guessed from the values present (podman's label and annotation maps hold strings).
 */
function zeroValueOf(values: unknown[]): unknown {
  if (values.every((v) => typeof v === 'string')) return '';
  if (values.every((v) => typeof v === 'number')) return 0;
  if (values.every((v) => typeof v === 'boolean')) return false;
  return null;
}

function sliceOf(item: unknown, ...indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  const isString = typeof item === 'string';
  if (!isString && !Array.isArray(item)) throw new Error(`can't slice item of type ${goTypeName(item)}`);
  if (isString && indexes.length === 3) throw new Error('cannot 3-index slice a string');
  const bytes = isString ? utf8Bytes(item) : null;
  const length = bytes ? bytes.length : (item as unknown[]).length;
  const bounds = [0, length];
  indexes.slice(0, 2).forEach((index, i) => {
    const n = intArg(index, i + 1);
    if (n < 0 || n > length) throw new Error(`index out of range: ${n}`);
    bounds[i] = n;
  });
  if (bounds[0]! > bounds[1]!) throw new Error(`invalid slice index: ${bounds[0]} > ${bounds[1]}`);
  if (bytes) return new TextDecoder().decode(bytes.subarray(bounds[0], bounds[1]));
  return (item as unknown[]).slice(bounds[0], bounds[1]);
}

function lengthOf(item: unknown): number {
  if (typeof item === 'string') return utf8Bytes(item).length;
  if (Array.isArray(item)) return item.length;
  if (item instanceof Map || item instanceof Set) return item.size;
  if (isPlainObject(item)) return Object.keys(item).length;
  if (item === null || item === undefined) throw new Error('len of nil pointer');
  throw new Error(`len of type ${goTypeName(item)}`);
}

function callFunc(fn: unknown, ...args: unknown[]): unknown {
  if (fn === null || fn === undefined) throw new Error('call of nil');
  if (typeof fn !== 'function') throw new Error(`non-function of type ${goTypeName(fn)}`);
  return (fn as TemplateFunc)(...args);
}

/** The single string argument, or the arguments printed as fmt.Sprint does: what html, js and urlquery escape. */
function textOfArgs(args: unknown[]): string {
  return args.length === 1 && typeof args[0] === 'string' ? args[0] : goSprint(args);
}

const HTML_ESCAPES: Record<string, string> = { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;', '\0': '\uFFFD' };

function htmlEscape(s: string): string {
  return s.replace(/["'&<>\0]/g, (c) => HTML_ESCAPES[c]!);
}

const JS_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '<': '\\u003C',
  '>': '\\u003E',
  '&': '\\u0026',
  '=': '\\u003D',
};

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (JS_ESCAPES[ch]) out += JS_ESCAPES[ch];
    else if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (cp < 0x80 || isPrintable(ch)) out += ch;
    else out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

function queryEscape(s: string): string {
  let out = '';
  for (const byte of utf8Bytes(s)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function builtin(name: string, min: number, max: number, fn: TemplateFunc): [string, TemplateFunc] {
  return [
    name,
    (...args) => {
      arity(name, args, min, max);
      return fn(...args);
    },
  ];
}

const GO_BUILTINS: Array<[string, TemplateFunc]> = [
  ['and', andFunc],
  ['or', orFunc],
  builtin('not', 1, 1, (a) => !isTrue(a)),
  builtin('len', 1, 1, lengthOf),
  builtin('index', 1, Infinity, (item, ...indexes) => indexOf(item, ...indexes)),
  builtin('slice', 1, Infinity, (item, ...indexes) => sliceOf(item, ...indexes)),
  ['print', (...args) => goSprint(args)],
  builtin('printf', 1, Infinity, (format, ...args) => goSprintf(stringArg(format, 0), ...args)),
  ['println', (...args) => goSprintln(args)],
  builtin('eq', 1, Infinity, eq),
  builtin('ne', 2, 2, (a, b) => !eq(a, b)),
  builtin('lt', 2, 2, (a, b) => lessThan(a, b)),
  builtin('le', 2, 2, (a, b) => lessThan(a, b) || eq(a, b)),
  builtin('gt', 2, 2, (a, b) => !lessThan(a, b) && !eq(a, b)),
  builtin('ge', 2, 2, (a, b) => !lessThan(a, b)),
  ['html', (...args) => htmlEscape(textOfArgs(args))],
  ['js', (...args) => jsEscape(textOfArgs(args))],
  ['urlquery', (...args) => queryEscape(textOfArgs(args))],
  builtin('call', 1, Infinity, callFunc),
];

/** strings.Title: upper-cases the first letter of each word. */
function title(s: string): string {
  let previous = ' ';
  let out = '';
  for (const ch of s) {
    out += isWordSeparator(previous) ? ch.toUpperCase() : ch;
    previous = ch;
  }
  return out;
}

function isWordSeparator(ch: string): boolean {
  if (/^[\p{L}\p{Nd}_]$/u.test(ch)) return false;
  return ch.codePointAt(0)! <= 0x7f || /^\s$/u.test(ch);
}

function joinStrings(list: unknown, sep: unknown): string {
  if (list === null || list === undefined) return '';
  if (!Array.isArray(list)) throw new ArgumentError('wrong type', 0, '[]string');
  return list.map((item) => (typeof item === 'string' ? item : formatValue(item))).join(stringArg(sep, 1));
}

function splitString(s: unknown, sep: unknown): string[] {
  const text = stringArg(s, 0);
  const separator = stringArg(sep, 1);
  return separator === '' ? [...text] : text.split(separator);
}

/** podman's truncate: the first n bytes of s. */
function truncate(s: unknown, n: unknown): string {
  const text = stringArg(s, 0);
  const bytes = utf8Bytes(text);
  const length = intArg(n, 1);
  return bytes.length < length ? text : new TextDecoder().decode(bytes.subarray(0, Math.max(length, 0)));
}

/** podman's pad: `prefix` spaces before and `suffix` spaces after a non-empty string. */
function pad(s: unknown, prefix: unknown, suffix: unknown): string {
  const text = stringArg(s, 0);
  return text === '' ? text : ' '.repeat(Math.max(intArg(prefix, 1), 0)) + text + ' '.repeat(Math.max(intArg(suffix, 2), 0));
}

const PODMAN_FUNCS: Array<[string, TemplateFunc]> = [
  builtin('join', 2, 2, joinStrings),
  builtin('json', 1, 1, (v) => toGoJson(v, { escapeHtml: false })),
  builtin('lower', 1, 1, (s) => stringArg(s, 0).toLowerCase()),
  builtin('pad', 3, 3, pad),
  builtin('split', 2, 2, splitString),
  builtin('title', 1, 1, (s) => title(stringArg(s, 0))),
  builtin('truncate', 2, 2, truncate),
  builtin('upper', 1, 1, (s) => stringArg(s, 0).toUpperCase()),
];

const DEFAULT_FUNCS: ReadonlyMap<string, TemplateFunc> = new Map([...GO_BUILTINS, ...PODMAN_FUNCS]);

// ---------------------------------------------------------------------------------------------------------------
// Go's fmt

const textEncoder = new TextEncoder();

function utf8Bytes(s: string): Uint8Array {
  return textEncoder.encode(s);
}

function runeCount(s: string): number {
  let count = 0;
  for (const _ of s) count++;
  return count;
}

function isPrintable(ch: string): boolean {
  return ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

/** Whether a number stands for a Go int: a safe integer that is not the float -0 (larger ones come from floats). */
function isGoInt(n: number): boolean {
  return Number.isSafeInteger(n) && !Object.is(n, -0);
}

/** The Go type name of a value, as `%T` and error messages print it. */
export function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int64';
    case 'number':
      return isGoInt(value) ? 'int' : 'float64';
    case 'function':
      return 'func(...interface {}) interface {}';
  }
  if (Array.isArray(value)) return '[]interface {}';
  if (value instanceof Uint8Array) return '[]uint8';
  if (value instanceof Date) return 'time.Time';
  if (value instanceof Map || isPlainObject(value)) return 'map[string]interface {}';
  return structName(value as object) ?? 'struct';
}

/** A value as Go's `%v` prints it. */
export function formatValue(value: unknown): string {
  return formatWithVerb(value, DEFAULT_SPEC);
}

interface FormatSpec {
  verb: string;
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | null;
  precision: number | null;
}

const DEFAULT_SPEC: FormatSpec = { verb: 'v', minus: false, plus: false, sharp: false, space: false, zero: false, width: null, precision: null };

/** fmt.Sprint: operands separated by a space when neither side is a string. */
export function goSprint(args: unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(arg);
  });
  return out;
}

export function goSprintln(args: unknown[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}

/** fmt.Sprintf. */
export function goSprintf(format: string, ...args: unknown[]): string {
  let out = '';
  let argIndex = 0;
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    const spec: FormatSpec = { ...DEFAULT_SPEC };
    i = percent + 1;
    for (; i < format.length; i++) {
      const flag = format[i];
      if (flag === '-') spec.minus = true;
      else if (flag === '+') spec.plus = true;
      else if (flag === '#') spec.sharp = true;
      else if (flag === ' ') spec.space = true;
      else if (flag === '0') spec.zero = true;
      else break;
    }
    const starArg = (): number | null => {
      const arg = args[argIndex++];
      return typeof arg === 'number' && Number.isInteger(arg) ? arg : null;
    };
    if (format[i] === '*') {
      i++;
      spec.width = starArg();
      if (spec.width !== null && spec.width < 0) {
        spec.minus = true;
        spec.width = -spec.width;
      }
    } else {
      const digits = /^\d+/.exec(format.slice(i))?.[0];
      if (digits) {
        spec.width = Number(digits);
        i += digits.length;
      }
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        spec.precision = starArg();
        if (spec.precision !== null && spec.precision < 0) spec.precision = null;
      } else {
        const digits = /^\d*/.exec(format.slice(i))![0];
        spec.precision = Number(digits || '0');
        i += digits.length;
      }
    }
    const verb = format.codePointAt(i);
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    spec.verb = String.fromCodePoint(verb);
    i += spec.verb.length;
    if (spec.verb === '%') {
      out += '%';
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${spec.verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argIndex++], spec);
  }
  if (argIndex < args.length) {
    const extra = args.slice(argIndex).map((a) => (a === null || a === undefined ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

function formatArg(arg: unknown, spec: FormatSpec): string {
  if (spec.verb === 'T') return padField(goTypeName(arg), spec);
  if (spec.verb === 'v' && spec.plus) return formatWithVerb(arg, { ...spec, plus: false, sharp: false }, true);
  return formatWithVerb(arg, spec);
}

function badVerb(value: unknown, spec: FormatSpec): string {
  if (value === null || value === undefined) return `%!${spec.verb}(<nil>)`;
  return `%!${spec.verb}(${goTypeName(value)}=${formatValue(value)})`;
}

function formatWithVerb(value: unknown, spec: FormatSpec, plusV = false): string {
  if (value === null || value === undefined) return spec.verb === 'v' ? padField('<nil>', spec) : badVerb(value, spec);
  switch (typeof value) {
    case 'boolean':
      return spec.verb === 'v' || spec.verb === 't' ? padField(String(value), spec) : badVerb(value, spec);
    case 'bigint':
      return formatInteger(value, spec);
    case 'number':
      return isGoInt(value) ? formatInteger(BigInt(value), spec, value) : formatFloat(value, spec);
    case 'string':
      return formatString(value, spec);
    case 'function':
      return spec.verb === 'v' || spec.verb === 'p' ? padField('func', spec) : badVerb(value, spec);
    case 'symbol':
      return padField(value.toString(), spec);
  }
  return formatObject(value as object, spec, plusV);
}

function formatObject(value: object, spec: FormatSpec, plusV: boolean): string {
  const element = (v: unknown): string => formatWithVerb(v, spec, plusV);
  if (value instanceof Uint8Array && 'sxXq'.includes(spec.verb)) {
    return formatString(new TextDecoder().decode(value), spec);
  }
  if (Array.isArray(value) || value instanceof Uint8Array || value instanceof Set) {
    return `[${[...(value as Iterable<unknown>)].map(element).join(' ')}]`;
  }
  if (value instanceof Map) {
    return `map[${sortedKeys([...value.keys()])
      .map((k) => `${element(k)}:${element(value.get(k))}`)
      .join(' ')}]`;
  }
  if (isPlainObject(value)) {
    const keys = sortedKeys(Object.keys(value).filter((k) => value[k] !== undefined));
    return `map[${keys.map((k) => `${element(k)}:${element(value[k])}`).join(' ')}]`;
  }
  if (value instanceof Error && 'vsq'.includes(spec.verb)) return formatString(value.message, spec);
  if (hasOwnToString(value) && 'vsq'.includes(spec.verb)) return formatString(String(value), spec);
  const fields = Object.entries(value).filter(([, v]) => typeof v !== 'function');
  return `{${fields.map(([k, v]) => (plusV ? `${k}:${element(v)}` : element(v))).join(' ')}}`;
}

/** An object with its own idea of printing itself, as Go's Stringer and error types (Date, Error, ...). */
function hasOwnToString(value: object): boolean {
  return typeof (value as { toString?: unknown }).toString === 'function' && value.toString !== Object.prototype.toString;
}

function padField(text: string, spec: FormatSpec, zeroAfterSign = false): string {
  const width = spec.width ?? 0;
  const missing = width - runeCount(text);
  if (missing <= 0) return text;
  if (spec.minus) return text + ' '.repeat(missing);
  if (zeroAfterSign) {
    const sign = /^[+\- ]/.test(text) ? text[0]! : '';
    return sign + '0'.repeat(missing) + text.slice(sign.length);
  }
  return ' '.repeat(missing) + text;
}

function signOf(negative: boolean, spec: FormatSpec): string {
  return negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
}

const INTEGER_BASES: Record<string, number> = { v: 10, d: 10, b: 2, o: 8, O: 8, x: 16, X: 16 };

function formatInteger(n: bigint, spec: FormatSpec, asNumber = Number(n)): string {
  const { verb } = spec;
  if ('eEfFgG'.includes(verb)) return formatFloat(asNumber, spec);
  if (verb === 'c') return padField(String.fromCodePoint(Number(n)), spec);
  if (verb === 'q') return padField(goQuote(String.fromCodePoint(Number(n)), "'", spec.plus), spec);
  if (verb === 'U') {
    const code = `U+${n.toString(16).toUpperCase().padStart(4, '0')}`;
    return padField(spec.sharp ? `${code} '${String.fromCodePoint(Number(n))}'` : code, spec);
  }
  const base = INTEGER_BASES[verb];
  if (base === undefined) return badVerb(asNumber, spec);
  const negative = n < 0n;
  let digits = (negative ? -n : n).toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  if (spec.precision !== null) digits = spec.precision === 0 && n === 0n ? '' : digits.padStart(spec.precision, '0');
  let prefix = '';
  if (verb === 'O') prefix = '0o';
  else if (spec.sharp) prefix = { b: '0b', o: digits.startsWith('0') ? '' : '0', x: '0x', X: '0X' }[verb] ?? '';
  const sign = signOf(negative, spec);
  if (spec.zero && !spec.minus && spec.precision === null && spec.width !== null) {
    digits = digits.padStart(spec.width - sign.length - prefix.length, '0');
  }
  return padField(sign + prefix + digits, spec);
}

function formatFloat(x: number, spec: FormatSpec): string {
  const verb = spec.verb === 'v' ? 'g' : spec.verb;
  if (!'eEfFgG'.includes(verb)) return badVerb(x, spec);
  if (!Number.isFinite(x)) {
    // Go always signs infinities, and signs NaN only when asked to.
    const sign = x < 0 ? '-' : Number.isNaN(x) ? signOf(false, spec) : spec.space && !spec.plus ? ' ' : '+';
    return padField(`${sign}${Number.isNaN(x) ? 'NaN' : 'Inf'}`, spec);
  }
  const negative = x < 0 || Object.is(x, -0);
  const lower = verb.toLowerCase() as 'e' | 'f' | 'g';
  let body = formatGoFloat(Math.abs(x), lower, spec.precision ?? (lower === 'g' ? -1 : 6));
  if (verb === 'E' || verb === 'G') body = body.toUpperCase();
  const text = signOf(negative, spec) + body;
  return padField(text, spec, spec.zero && !spec.minus);
}

function formatString(s: string, spec: FormatSpec): string {
  switch (spec.verb) {
    case 'v':
    case 's': {
      const text = spec.precision !== null ? [...s].slice(0, spec.precision).join('') : s;
      return padField(text, spec);
    }
    case 'q':
      return padField(spec.sharp && canBackquote(s) ? `\`${s}\`` : goQuote(s, '"', spec.plus), spec);
    case 'x':
    case 'X': {
      let bytes = [...utf8Bytes(s)];
      if (spec.precision !== null) bytes = bytes.slice(0, spec.precision);
      const hex = bytes.map((b) => (spec.sharp && spec.space ? '0x' : '') + b.toString(16).padStart(2, '0'));
      let text = hex.join(spec.space ? ' ' : '');
      if (spec.sharp && !spec.space && text) text = `0x${text}`;
      return padField(spec.verb === 'X' ? text.toUpperCase() : text, spec);
    }
    default:
      return badVerb(s, spec);
  }
}

function canBackquote(s: string): boolean {
  return !/[`\u0000-\u0008\u000a-\u001f\u007f\ufeff]/.test(s);
}

const QUOTE_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** strconv.Quote (or QuoteRune with a single quote, QuoteToASCII with asciiOnly). */
export function goQuote(s: string, quote: '"' | "'" = '"', asciiOnly = false): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (asciiOnly ? cp >= 0x20 && cp < 0x7f : isPrintable(ch)) out += ch;
    else if (QUOTE_ESCAPES[ch]) out += QUOTE_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp < 0xe000) out += '\\ufffd';
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

// ---------------------------------------------------------------------------------------------------------------
// Go's encoding/json

export interface GoJsonOptions {
  /** Indentation per level (MarshalIndent); compact when absent. */
  indent?: string;
  /** Escape <, > and & as json.Marshal does by default. */
  escapeHtml?: boolean;
}

/** A value as Go's encoding/json writes it: a Map's keys sorted, objects' keys in their own order. */
export function toGoJson(value: unknown, options: GoJsonOptions = {}): string {
  return encodeJson(value, options.indent ?? '', '', options.escapeHtml ?? true);
}

function encodeJson(value: unknown, indent: string, prefix: string, escapeHtml: boolean): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return String(value);
    case 'number':
      return Number.isFinite(value) ? (Object.is(value, -0) ? '-0' : String(value)) : 'null';
    case 'bigint':
      return value.toString();
    case 'string':
      return quoteJson(value, escapeHtml);
    case 'function':
    case 'symbol':
      return 'null';
  }
  if (value instanceof Date) return quoteJson(rfc3339Nano(value), escapeHtml);
  if (value instanceof Uint8Array) return quoteJson(Buffer.from(value).toString('base64'), escapeHtml);
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return encodeJson(withToJson.toJSON(), indent, prefix, escapeHtml);
  const inner = prefix + indent;
  const open = indent ? `\n${inner}` : '';
  const close = indent ? `\n${prefix}` : '';
  const separator = indent ? `,\n${inner}` : ',';
  if (Array.isArray(value) || value instanceof Set) {
    const items = [...(value as Iterable<unknown>)].map((v) => encodeJson(v, indent, inner, escapeHtml));
    return items.length ? `[${open}${items.join(separator)}${close}]` : '[]';
  }
  const entries: Array<[string, unknown]> =
    value instanceof Map
      ? sortedKeys([...value.keys()].map(String)).map((k) => [k, (value as Map<unknown, unknown>).get(mapKey(value, k))])
      : Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function');
  if (!entries.length) return '{}';
  const colon = indent ? ': ' : ':';
  const members = entries.map(([k, v]) => quoteJson(k, escapeHtml) + colon + encodeJson(v, indent, inner, escapeHtml));
  return `{${open}${members.join(separator)}${close}}`;
}

function mapKey(map: Map<unknown, unknown>, key: string): unknown {
  if (map.has(key)) return key;
  for (const k of map.keys()) if (String(k) === key) return k;
  return key;
}

function rfc3339Nano(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  return date.toISOString().replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

const JSON_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function quoteJson(s: string, escapeHtml: boolean): string {
  const special = escapeHtml ? /["\\\u0000-\u001f<>&\u2028\u2029]|[\ud800-\udfff]/g : /["\\\u0000-\u001f\u2028\u2029]|[\ud800-\udfff]/g;
  const escaped = s.replace(special, (c, offset: number) => {
    if (JSON_ESCAPES[c]) return JSON_ESCAPES[c];
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code < 0xe000) return isPairedSurrogate(s, offset) ? c : '\\ufffd';
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"`;
}

function isPairedSurrogate(s: string, offset: number): boolean {
  const code = s.charCodeAt(offset);
  if (code < 0xdc00) return (s.charCodeAt(offset + 1) & 0xfc00) === 0xdc00;
  return (s.charCodeAt(offset - 1) & 0xfc00) === 0xd800;
}
