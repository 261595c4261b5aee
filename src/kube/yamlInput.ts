/**
 * Reading Kubernetes YAML: split the documents, and read each field through a
 * `Field` that knows its document and path, so a wrong type is reported as one
 * line naming both. Unknown fields are ignored (as Kubernetes' own decoder does
 * for Podman); fields of the wrong type are errors.
 */
import { parseAllDocuments } from 'yaml';
import { BadInputError } from '../util/errors.js';

export class KubeYamlError extends BadInputError {}

export interface KubeDocument {
  /** 1-based position in the input, counting non-empty documents. */
  index: number;
  kind: string;
  name: string;
  root: Field;
}

/** Splits multi-document YAML; every document must be a mapping with apiVersion and kind. */
export function parseKubeDocuments(text: string, source = 'kube YAML'): KubeDocument[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  if (!Array.isArray(docs)) {
    throw new KubeYamlError(`${source}: ${(docs as { errors?: Array<{ message: string }> }).errors?.[0]?.message ?? 'cannot be parsed'}: fix the YAML`);
  }
  const out: KubeDocument[] = [];
  let position = 0;
  for (const doc of docs) {
    position++;
    if (doc.errors.length > 0) {
      throw new KubeYamlError(`${source} document ${position}: ${firstLine(doc.errors[0]!.message)}: fix the YAML`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      // Aliases are resolved here: an unknown anchor, or too many aliases.
      throw new KubeYamlError(`${source} document ${position}: ${firstLine((e as Error).message)}: fix the YAML`);
    }
    if (value === null || value === undefined) {
      position--;
      continue;
    }
    const where = `${source} document ${position}`;
    const root = Field.root(where, value);
    root.object();
    const kind = root.get('kind').requiredString();
    root.where = `${where} (${kind})`;
    root.get('apiVersion').requiredString();
    const name = root.get('metadata').get('name').string() ?? '';
    if (name) root.where = `${where} (${kind} "${name}")`;
    out.push({ index: position, kind, name, root });
  }
  return out;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim().replace(/:$/, '');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** One value of a document, with where it came from. */
export class Field {
  constructor(
    /** Shared by every field of one document, so naming the document later renames all. */
    private readonly doc: { where: string },
    readonly path: string,
    readonly value: unknown,
  ) {}

  static root(where: string, value: unknown): Field {
    return new Field({ where }, '', value);
  }

  get where(): string {
    return this.doc.where;
  }

  set where(text: string) {
    this.doc.where = text;
  }

  get present(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  fail(expected: string): never {
    throw new KubeYamlError(`${this.where}: ${this.path || 'the document'}: expected ${expected}, got ${describe(this.value)}: fix the field's type`);
  }

  invalid(message: string): never {
    throw this.error(message);
  }

  /** For `throw field.error(...)` where the compiler must see the branch end. */
  error(message: string): KubeYamlError {
    return new KubeYamlError(`${this.where}: ${this.path || 'the document'}: ${message}`);
  }

  get(key: string): Field {
    const obj = this.present ? this.object() : undefined;
    return new Field(this.doc, this.path ? `${this.path}.${key}` : key, obj?.[key]);
  }

  object(): Record<string, unknown> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) this.fail('a mapping');
    return this.value as Record<string, unknown>;
  }

  string(): string | undefined {
    if (!this.present) return undefined;
    if (typeof this.value !== 'string') this.fail('a string');
    return this.value;
  }

  requiredString(): string {
    if (!this.present) this.invalid('is required: add it');
    const s = this.string()!;
    if (s === '') this.invalid('must not be empty: give a value');
    return s;
  }

  int(): number | undefined {
    if (!this.present) return undefined;
    if (typeof this.value !== 'number' || !Number.isInteger(this.value)) this.fail('an integer');
    return this.value;
  }

  bool(): boolean | undefined {
    if (!this.present) return undefined;
    if (typeof this.value !== 'boolean') this.fail('true or false');
    return this.value;
  }

  /** An int-or-string field (targetPort): numbers stay numbers. */
  intOrString(): number | string | undefined {
    if (!this.present) return undefined;
    if (typeof this.value === 'number' && Number.isInteger(this.value)) return this.value;
    if (typeof this.value === 'string') return this.value;
    this.fail('an integer or a string');
  }

  /** A Kubernetes quantity: a number or a string such as 64Mi or 500m. */
  quantity(): string | undefined {
    if (!this.present) return undefined;
    if (typeof this.value === 'number') return String(this.value);
    if (typeof this.value !== 'string') this.fail('a quantity (a number or a string such as 64Mi or 500m)');
    return this.value;
  }

  list(): Field[] {
    if (!this.present) return [];
    if (!Array.isArray(this.value)) this.fail('a list');
    return this.value.map((v, i) => new Field(this.doc, `${this.path}[${i}]`, v));
  }

  /** command, args: YAML reads `- 80` as a number, which Podman's users expect to be the string. */
  stringList(): string[] | undefined {
    if (!this.present) return undefined;
    return this.list().map((f) => (typeof f.value === 'number' || typeof f.value === 'boolean' ? String(f.value) : f.requiredStringOrEmpty()));
  }

  private requiredStringOrEmpty(): string {
    if (typeof this.value !== 'string') this.fail('a string');
    return this.value;
  }

  /** labels, annotations, ConfigMap data: string values only. */
  stringMap(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, f] of this.entries()) out[k] = f.string() ?? '';
    return out;
  }

  entries(): Array<[string, Field]> {
    if (!this.present) return [];
    return Object.keys(this.object()).map((k) => [k, this.get(k)]);
  }
}
