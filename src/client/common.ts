/** What the remote engine's groups share: the transport, filters as Docker JSON, per-item errors, refusals. */
import type { Transport } from './transport.js';
import { fromWireError, type WireError } from '../api/libpod/errors.js';
import { TspodError } from '../util/errors.js';
import type { RegistryAccessOptions } from '../engine/types.js';

export interface RemoteContext {
  transport: Transport;
}

/** Engine `key=value` filters -> the API's `{"key":["value",...]}`. */
export function filtersParam(filters: string[] | undefined): string | undefined {
  if (!filters?.length) return undefined;
  const out: Record<string, string[]> = {};
  for (const f of filters) {
    const i = f.indexOf('=');
    const key = i < 0 ? f : f.slice(0, i);
    (out[key] ??= []).push(i < 0 ? '' : f.slice(i + 1));
  }
  return JSON.stringify(out);
}

/** A per-item error of a list report, typed as the engine raised it. */
export function itemErrorOf(err: Partial<WireError> | string | null | undefined): Error | undefined {
  if (!err) return undefined;
  if (typeof err === 'string') return new TspodError(err);
  return fromWireError(err, err.response ?? 500, 'unknown error');
}

/** A clear one-line refusal for what the API cannot carry yet. */
export function notRemote(command: string, hint = 'run it on the machine of the service'): TspodError {
  return new TspodError(`${command} is not available in remote mode yet: ${hint}`);
}

/** --creds as Podman's X-Registry-Auth header; --tls-verify as the tlsVerify parameter. */
export function registryParams(access: RegistryAccessOptions, command: string): { query: Record<string, string | undefined>; headers: Record<string, string> } {
  if (access.certDir) throw notRemote(`${command} --cert-dir`, 'certificates are read on the machine of the service');
  const headers: Record<string, string> = {};
  if (access.credentials) {
    headers['X-Registry-Auth'] = Buffer.from(JSON.stringify({ username: access.credentials.username, password: access.credentials.password })).toString('base64');
  }
  return { query: { tlsVerify: access.tlsVerify === undefined ? undefined : String(access.tlsVerify) }, headers };
}

/** `repo:tag` -> Podman's repo and tag parameters (a port's colon is no tag). */
export function splitTag(reference: string): { repo: string; tag?: string } {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash && !reference.includes('@')) return { repo: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repo: reference };
}

/** Runs `fn` per name, in order, turning each failure into that name's error. */
export async function perName<T>(names: string[], fn: (name: string) => Promise<T>): Promise<Array<{ name: string; value?: T; error?: Error }>> {
  const out: Array<{ name: string; value?: T; error?: Error }> = [];
  for (const name of names) {
    try {
      out.push({ name, value: await fn(name) });
    } catch (e) {
      out.push({ name, error: e as Error });
    }
  }
  return out;
}

export const enc = encodeURIComponent;
