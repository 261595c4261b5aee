import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';

/**
 * The CAs a registry's certificate is checked against, as Podman's: the
 * system's trust store, found where Go's crypto/x509 looks on Linux (which
 * containers/image uses), so a CA installed with update-ca-certificates is
 * trusted. Node's own bundled roots are only the fallback for a system with
 * no store.
 */

/** Go's list: the first that exists is read, unless SSL_CERT_FILE names one. */
const BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
];
/** Go's directories, unless SSL_CERT_DIR (colon-separated) names others. */
const DIRS = ['/etc/ssl/certs', '/etc/pki/tls/certs'];

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

let cached: string[] | undefined;

/** PEM texts, each holding one or more certificates. */
export function trustedRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env === process.env && cached) return cached;
  const roots: string[] = [];
  const bundles = env.SSL_CERT_FILE ? [env.SSL_CERT_FILE] : BUNDLES;
  for (const file of bundles) {
    const pem = readPem(file);
    if (pem !== undefined) {
      roots.push(pem);
      break;
    }
  }
  // Go also reads every file of the directories. Where a bundle was found they hold the same
  // certificates (Debian's /etc/ssl/certs is the bundle's parts), and parsing ~140 of them twice
  // costs ~40 ms: the directories are read when named, or when no bundle exists.
  if (env.SSL_CERT_DIR || roots.length === 0) {
    for (const dir of env.SSL_CERT_DIR ? env.SSL_CERT_DIR.split(':').filter(Boolean) : DIRS) {
      for (const path of filesOf(dir)) {
        const pem = readPem(path);
        if (pem !== undefined) roots.push(pem);
      }
    }
  }
  const result = roots.length > 0 ? roots : [...rootCertificates];
  if (env === process.env) cached = result;
  return result;
}

/** The paths in a directory, by name; none when it cannot be read. */
function filesOf(dir: string): string[] {
  try {
    return readdirSync(dir)
      .sort()
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}

/** The file's text when it is a readable regular file holding a PEM certificate. */
function readPem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    const text = readFileSync(path, 'latin1');
    return text.includes(PEM_CERTIFICATE) ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Each certificate once: NODE_EXTRA_CA_CERTS often names the system bundle
 * itself, and OpenSSL took 74 ms for the 144 roots given twice against 27 ms
 * for them once.
 */
export function uniqueCertificates(pems: string[]): string[] {
  const certificates = new Set<string>();
  for (const pem of pems) {
    // Text around the certificates (comments) is dropped; other PEM blocks go on whole, for OpenSSL to judge.
    for (const block of pem.split(/(?=-----BEGIN CERTIFICATE-----)/)) {
      if (block.startsWith(PEM_CERTIFICATE) || block.includes('-----BEGIN ')) certificates.add(block.trim());
    }
  }
  return [...certificates];
}
