import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { trustedRoots, uniqueCertificates } from '../../src/image/registry/trustStore.js';

const pem = (n: number): string => `-----BEGIN CERTIFICATE-----\nfake${n}\n-----END CERTIFICATE-----\n`;

describe('trustedRoots', () => {
  it('reads SSL_CERT_FILE alone when it names a bundle, as Go does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tspod-trust-'));
    try {
      writeFileSync(join(dir, 'bundle.pem'), pem(1) + pem(2));
      assert.deepEqual(trustedRoots({ SSL_CERT_FILE: join(dir, 'bundle.pem') }), [pem(1) + pem(2)]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('adds every certificate file of SSL_CERT_DIR, skipping what is not one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tspod-trust-'));
    try {
      writeFileSync(join(dir, 'a.pem'), pem(1));
      writeFileSync(join(dir, 'notes.txt'), 'not a certificate\n');
      writeFileSync(join(dir, 'b.crt'), pem(2));
      symlinkSync(join(dir, 'b.crt'), join(dir, 'hash.0'));
      const roots = trustedRoots({ SSL_CERT_FILE: join(dir, 'missing.pem'), SSL_CERT_DIR: `${join(dir, 'nothing-here')}:${dir}` });
      assert.deepEqual(roots, [pem(1), pem(2), pem(2)]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("falls back to Node's bundled roots when the system has no store", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tspod-trust-'));
    try {
      assert.deepEqual(trustedRoots({ SSL_CERT_FILE: join(dir, 'missing.pem'), SSL_CERT_DIR: dir }), [...rootCertificates]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('uniqueCertificates', () => {
  it('gives each certificate once, whatever bundles it came in, and drops the text around them', () => {
    const bundle = `# a comment\n${pem(1)}${pem(2)}`;
    assert.deepEqual(uniqueCertificates([bundle, pem(2), `${pem(3)}\n`]), [pem(1).trim(), pem(2).trim(), pem(3).trim()]);
  });
});
