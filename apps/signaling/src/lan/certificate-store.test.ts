import { X509Certificate } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_VALIDITY_DAYS } from './certificate-authority.ts';
import {
  CertificateStoreError,
  certificateNames,
  ensureLanCertificates,
  RENEW_BEFORE_DAYS,
} from './certificate-store.ts';

const DAY_MS = 24 * 3600 * 1000;
const NAMES = {
  dnsNames: ['localhost', 'sofa.local'],
  ipAddresses: ['127.0.0.1', '::1', '192.168.1.5'],
};
const START = new Date('2026-12-04T03:00:00Z');

const dirs: string[] = [];
function tlsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
  dirs.push(dir);
  return join(dir, 'tls');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

const mode = (file: string) => statSync(file).mode & 0o777;

// Each test generates RSA keys on two shared cores: a generous deadline, never a measure.
describe('LAN certificates under DATA_DIR/tls', { timeout: 60_000 }, () => {
  it('creates a CA and a server certificate it signed, for exactly the given names', async () => {
    const dir = tlsDir();
    const made = await ensureLanCertificates({ dir, names: NAMES, now: START, machine: 'sofa' });
    expect(made.ca).toBe('created');
    expect(made.server).toEqual({ action: 'issued', reason: 'none yet' });

    const ca = new X509Certificate(readFileSync(join(dir, 'ca.crt')));
    const server = new X509Certificate(readFileSync(join(dir, 'server.crt')));
    expect(ca.ca).toBe(true);
    expect(ca.subject).toContain('CN=Parley local CA (sofa) 2026-12-04');
    expect(ca.fingerprint256).toBe(made.caFingerprint256);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.keyUsage).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
    expect(certificateNames(server)).toEqual(
      new Set(['dns:localhost', 'dns:sofa.local', 'ip:127.0.0.1', 'ip:::1', 'ip:192.168.1.5']),
    );
    for (const ip of NAMES.ipAddresses) expect(server.checkIP(ip)).toBe(ip);
    expect(server.checkHost('sofa.local')).toBe('sofa.local');
    expect(server.checkIP('192.168.1.6')).toBeUndefined();
    expect(made.serverNotAfter.getTime() - START.getTime()).toBe(SERVER_VALIDITY_DAYS * DAY_MS);
    expect(made.caPath).toBe(join(dir, 'ca.crt'));

    // Private keys: owner only. Certificates: public.
    expect(mode(join(dir, 'ca.key'))).toBe(0o600);
    expect(mode(join(dir, 'server.key'))).toBe(0o600);
    expect(mode(join(dir, 'ca.crt'))).toBe(0o644);
    expect(mode(dir)).toBe(0o700);
  });

  it('reuses both on a restart with the same addresses', async () => {
    const dir = tlsDir();
    const first = await ensureLanCertificates({ dir, names: NAMES, now: START });
    const later = new Date(START.getTime() + 100 * DAY_MS);
    const second = await ensureLanCertificates({ dir, names: NAMES, now: later });
    expect(second.ca).toBe('reused');
    expect(second.server).toEqual({ action: 'reused' });
    expect(second.certPem).toBe(first.certPem);
    expect(second.keyPem).toBe(first.keyPem);
    expect(second.caCertPem).toBe(first.caCertPem);
  });

  it('reissues the server certificate (same CA) when the addresses change', async () => {
    const dir = tlsDir();
    const first = await ensureLanCertificates({ dir, names: NAMES, now: START });
    const moved = { ...NAMES, ipAddresses: ['127.0.0.1', '::1', '10.0.0.7'] };
    const second = await ensureLanCertificates({ dir, names: moved, now: START });
    expect(second.ca).toBe('reused');
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.server).toMatchObject({
      action: 'issued',
      reason: expect.stringContaining('the addresses changed'),
    });
    const server = new X509Certificate(second.certPem);
    expect(server.checkIP('10.0.0.7')).toBe('10.0.0.7');
    expect(server.checkIP('192.168.1.5')).toBeUndefined();
    expect(server.checkIssued(new X509Certificate(first.caCertPem))).toBe(true);
    expect(second.keyPem).not.toBe(first.keyPem);
  });

  it('treats the same addresses written differently as unchanged', async () => {
    const dir = tlsDir();
    await ensureLanCertificates({ dir, names: NAMES, now: START });
    const spelled = {
      dnsNames: ['LOCALHOST', 'sofa.local'],
      ipAddresses: ['0:0:0:0:0:0:0:1', '127.0.0.1', '192.168.1.5'],
    };
    const again = await ensureLanCertificates({ dir, names: spelled, now: START });
    expect(again.server).toEqual({ action: 'reused' });
  });

  it('reissues the server certificate when it nears expiry, and keeps the CA', async () => {
    const dir = tlsDir();
    const first = await ensureLanCertificates({ dir, names: NAMES, now: START });
    const justBefore = new Date(
      START.getTime() + (SERVER_VALIDITY_DAYS - RENEW_BEFORE_DAYS - 1) * DAY_MS,
    );
    expect((await ensureLanCertificates({ dir, names: NAMES, now: justBefore })).server).toEqual({
      action: 'reused',
    });
    const near = new Date(
      START.getTime() + (SERVER_VALIDITY_DAYS - RENEW_BEFORE_DAYS + 1) * DAY_MS,
    );
    const renewed = await ensureLanCertificates({ dir, names: NAMES, now: near });
    expect(renewed.server).toEqual({
      action: 'issued',
      reason: `it expires within ${RENEW_BEFORE_DAYS} days`,
    });
    expect(renewed.ca).toBe('reused');
    expect(renewed.caCertPem).toBe(first.caCertPem);
    expect(renewed.serverNotAfter.getTime() - near.getTime()).toBe(SERVER_VALIDITY_DAYS * DAY_MS);
  });

  it('replaces a damaged or mismatched pair instead of serving it', async () => {
    const dir = tlsDir();
    await ensureLanCertificates({ dir, names: NAMES, now: START });
    // A server key from elsewhere (here: the CA's) no longer matches server.crt.
    writeFileSync(join(dir, 'server.key'), readFileSync(join(dir, 'ca.key')));
    const fixed = await ensureLanCertificates({ dir, names: NAMES, now: START });
    expect(fixed.server).toEqual({
      action: 'issued',
      reason: 'server.key does not belong to server.crt',
    });
    // A truncated CA certificate: a new CA, and the server certificate follows it.
    writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nnope\n');
    const recovered = await ensureLanCertificates({ dir, names: NAMES, now: START });
    expect(recovered.ca).toBe('created');
    expect(recovered.server).toEqual({
      action: 'issued',
      reason: 'it was not signed by the current CA',
    });
  });

  it('tightens a private key left readable by others', async () => {
    const dir = tlsDir();
    await ensureLanCertificates({ dir, names: NAMES, now: START });
    chmodSync(join(dir, 'ca.key'), 0o644);
    await ensureLanCertificates({ dir, names: NAMES, now: START });
    expect(mode(join(dir, 'ca.key'))).toBe(0o600);
  });

  it('says which path it cannot write when DATA_DIR is a file', async () => {
    const dir = tlsDir();
    // DATA_DIR/tls exists as a plain file: mkdir fails for root too.
    mkdirSync(join(dir, '..'), { recursive: true });
    writeFileSync(dir, 'not a directory');
    const attempt = ensureLanCertificates({ dir: join(dir, 'tls'), names: NAMES, now: START });
    await expect(attempt).rejects.toThrow(CertificateStoreError);
    await expect(attempt).rejects.toThrow(
      new RegExp(
        `cannot create ${join(dir, 'tls')} \\(ENOTDIR\\).*set DATA_DIR to a directory this user can write`,
      ),
    );
  });
});
