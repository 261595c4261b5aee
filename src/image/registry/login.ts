/**
 * A login check: whether a registry accepts credentials (its /v2/ answers with
 * them), storing nothing. The local engine runs it for `login`; so does the
 * remote client, on the client's machine, as podman-remote's login does.
 */
import { RegistryClient, RegistryError } from './client.js';
import { InvalidCredentialsError } from '../../util/errors.js';

export async function checkRegistryLogin(
  key: string,
  opts: { tlsVerify: boolean; certDir?: string; credentials: { username: string; password: string } },
): Promise<void> {
  const registry = key.split('/')[0]!;
  const client = new RegistryClient({ registry, tlsVerify: opts.tlsVerify, certDir: opts.certDir, credentials: opts.credentials });
  try {
    await client.ping();
  } catch (e) {
    // The client's wording names the host and may suggest `tspod login`; here the key is what the user typed.
    if (e instanceof RegistryError && (e.httpStatus === 401 || e.httpStatus === 403)) {
      throw new InvalidCredentialsError(`logging in to "${key}": invalid username/password: check them and try again`, { cause: e });
    }
    throw e;
  } finally {
    await client.close();
  }
}
