/**
 * Typed reads of request-body fields. Docker ignores fields it does not know
 * but refuses a known field of the wrong type: each reader returns undefined
 * for an absent (or null) field and throws a 400 naming the field otherwise.
 */
import { BadInputError } from '../../util/errors.js';

type Body = Record<string, unknown>;

function wrongType(field: string, want: string, value: unknown): never {
  const got = Array.isArray(value) ? 'array' : typeof value;
  throw new BadInputError(`field ${field}: expected ${want}, got ${got}`);
}

export function stringField(body: Body, field: string, path = field): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') wrongType(path, 'a string', value);
  return value;
}

export function boolField(body: Body, field: string, path = field): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') wrongType(path, 'a boolean', value);
  return value;
}

export function objectField(body: Body, field: string, path = field): Body | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) wrongType(path, 'an object', value);
  return value as Body;
}

export function arrayField(body: Body, field: string, path = field): unknown[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) wrongType(path, 'a list', value);
  return value;
}

/** A list of strings (`["a", "b"]`). */
export function stringListField(body: Body, field: string, path = field): string[] | undefined {
  const list = arrayField(body, field, path);
  if (!list) return undefined;
  list.forEach((item, i) => {
    if (typeof item !== 'string') wrongType(`${path}[${i}]`, 'a string', item);
  });
  return list as string[];
}

/** A string-to-string map (Labels, Options, DriverOpts). */
export function stringMapField(body: Body, field: string, path = field): Record<string, string> | undefined {
  const map = objectField(body, field, path);
  if (!map) return undefined;
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string') wrongType(`${path}.${key}`, 'a string', value);
  }
  return map as Record<string, string>;
}
