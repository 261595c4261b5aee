/**
 * Typed reads of a Docker request body. Docker (Go's encoding/json) ignores
 * fields it does not know and refuses a known field of the wrong type; these
 * readers do the same, naming the field in a one-line 400. JSON null reads as
 * absent, as Go leaves the zero value.
 */
import { BadInputError } from '../../util/errors.js';

export type JsonObject = Record<string, unknown>;

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export class BodyFields {
  constructor(
    private readonly obj: JsonObject,
    private readonly where = '',
  ) {}

  path(name: string): string {
    return this.where ? `${this.where}.${name}` : name;
  }

  has(name: string): boolean {
    return this.obj[name] !== undefined && this.obj[name] !== null;
  }

  private fail(name: string, wanted: string, value: unknown): never {
    throw new BadInputError(`invalid request body: ${this.path(name)} must be ${wanted}, not ${typeName(value)}`);
  }

  private raw(name: string): unknown {
    const value = this.obj[name];
    return value === null ? undefined : value;
  }

  string(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(name, 'a string', value);
    return value;
  }

  bool(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') this.fail(name, 'a boolean', value);
    return value;
  }

  int(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(name, 'an integer', value);
    return value;
  }

  strings(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) this.fail(name, 'a list of strings', value);
    return value as string[];
  }

  ints(name: string): number[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isInteger(v))) this.fail(name, 'a list of integers', value);
    return value as number[];
  }

  /** Docker's StrSlice: a list of strings, or one string taken as a one-element list. */
  strslice(name: string): string[] | undefined {
    const value = this.raw(name);
    if (typeof value === 'string') return [value];
    return this.strings(name);
  }

  stringMap(name: string): Record<string, string> | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value) || Object.values(value as JsonObject).some((v) => typeof v !== 'string')) {
      this.fail(name, 'an object of strings', value);
    }
    return value as Record<string, string>;
  }

  /** An object whose values are not read (`{"80/tcp": {}}`): its keys. */
  keys(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(name, 'an object', value);
    return Object.keys(value as JsonObject);
  }

  object(name: string): BodyFields | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(name, 'an object', value);
    return new BodyFields(value as JsonObject, this.path(name));
  }

  /** An object of objects (`{"80/tcp": [...]}` is `listMap`), each as fields named by its key. */
  objectMap(name: string): Array<[string, BodyFields]> {
    const map = this.object(name);
    if (!map) return [];
    return Object.keys(map.obj).flatMap((key) => {
      const entry = map.object(key);
      return entry ? [[key, entry] as [string, BodyFields]] : [];
    });
  }

  /** A list of objects. */
  objects(name: string): BodyFields[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(name, 'a list of objects', value);
    return value.map((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) this.fail(`${name}[${i}]`, 'an object', item);
      return new BodyFields(item as JsonObject, `${this.path(name)}[${i}]`);
    });
  }

  /** An object of lists of objects (PortBindings). */
  listMap(name: string): Array<[string, BodyFields[]]> {
    const map = this.object(name);
    if (!map) return [];
    return Object.keys(map.obj).map((key) => [key, map.objects(key)]);
  }
}
