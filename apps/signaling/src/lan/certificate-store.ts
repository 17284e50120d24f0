import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  createCertificateAuthority,
  issueServerCertificate,
  type PemPair,
  type ServerCertificateNames,
} from './certificate-authority.ts';
import { normaliseIp } from './lan-addresses.ts';

/**
 * The LAN mode's certificates on disk, under DATA_DIR/tls:
 *
 *   ca.crt       the local CA (public; what phones import)
 *   ca.key       its private key (0600)
 *   server.crt   the server certificate, signed by the CA, for this machine's names
 *   server.key   its private key (0600)
 *
 * The CA is kept for good: every phone that trusts it would have to trust a new one. The server
 * certificate is reissued when the names it must cover change, when it nears expiry, or when it
 * no longer matches the CA or its key.
 */

/** Reissue a server certificate that has fewer than this many days left. */
export const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

export const CA_CERT_FILE = 'ca.crt';

export interface LanCertificates extends PemPair {
  caCertPem: string;
  /** Absolute path of ca.crt. */
  caPath: string;
  /** SHA-256 fingerprint of the CA, AA:BB:… (what a phone shows in the certificate's details). */
  caFingerprint256: string;
  serverNotAfter: Date;
  /** What this call did: made a CA or kept the one on disk. */
  ca: 'created' | 'reused';
  /** What this call did with the server certificate, and why it issued one. */
  server: { action: 'reused' } | { action: 'issued'; reason: string };
}

/** DATA_DIR cannot hold the certificates: names the directory and what went wrong. */
export class CertificateStoreError extends Error {
  override name = 'CertificateStoreError';
}

export interface EnsureOptions {
  /** DATA_DIR/tls */
  dir: string;
  names: ServerCertificateNames;
  now?: Date;
  /** Names the machine in a new CA's name. */
  machine?: string;
}

export async function ensureLanCertificates({
  dir,
  names,
  now = new Date(),
  machine = hostname(),
}: EnsureOptions): Promise<LanCertificates> {
  guard(dir, 'create', () => mkdirSync(dir, { recursive: true, mode: 0o700 }));
  const caFile = join(dir, CA_CERT_FILE);
  const caKeyFile = join(dir, 'ca.key');
  const serverFile = join(dir, 'server.crt');
  const serverKeyFile = join(dir, 'server.key');

  const caOnDisk = readPair(caFile, caKeyFile);
  const caProblem = caOnDisk ? caUnusable(caOnDisk, now) : 'none yet';
  let ca: PemPair;
  if (caOnDisk && !caProblem) ca = caOnDisk;
  else {
    ca = await createCertificateAuthority(machine, now);
    writePair(ca, caFile, caKeyFile);
  }

  const serverOnDisk = readPair(serverFile, serverKeyFile);
  const serverProblem = serverOnDisk ? serverUnusable(serverOnDisk, ca, names, now) : 'none yet';
  let server: PemPair;
  if (serverOnDisk && !serverProblem) server = serverOnDisk;
  else {
    server = await issueServerCertificate(ca, names, now);
    writePair(server, serverFile, serverKeyFile);
  }

  return {
    ...server,
    caCertPem: ca.certPem,
    caPath: caFile,
    caFingerprint256: new X509Certificate(ca.certPem).fingerprint256,
    serverNotAfter: new Date(new X509Certificate(server.certPem).validTo),
    ca: caProblem ? 'created' : 'reused',
    server: serverProblem ? { action: 'issued', reason: serverProblem } : { action: 'reused' },
  };
}

/** Why the CA on disk cannot be used (undefined: it can). */
function caUnusable(ca: PemPair, now: Date): string | undefined {
  const cert = parse(ca.certPem);
  if (!cert) return 'ca.crt is unreadable';
  if (!cert.ca) return 'ca.crt is not a CA certificate';
  if (!matchesKey(cert, ca.keyPem)) return 'ca.key does not belong to ca.crt';
  if (daysLeft(cert, now) < RENEW_BEFORE_DAYS) return 'the CA is about to expire';
  return undefined;
}

/** Why the server certificate on disk cannot be used (undefined: it can). */
function serverUnusable(
  server: PemPair,
  ca: PemPair,
  names: ServerCertificateNames,
  now: Date,
): string | undefined {
  const cert = parse(server.certPem);
  const caCert = parse(ca.certPem);
  if (!cert) return 'server.crt is unreadable';
  if (!caCert) return 'ca.crt is unreadable';
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey))
    return 'it was not signed by the current CA';
  if (!matchesKey(cert, server.keyPem)) return 'server.key does not belong to server.crt';
  if (new Date(cert.validFrom) > now) return 'it is not valid yet (was the clock changed?)';
  if (daysLeft(cert, now) < RENEW_BEFORE_DAYS) return `it expires within ${RENEW_BEFORE_DAYS} days`;
  const want = nameSet(names);
  const have = certificateNames(cert);
  if (want.size !== have.size || [...want].some((name) => !have.has(name)))
    return `the addresses changed (now ${[...want].join(', ')})`;
  return undefined;
}

/** The names a certificate covers, as `dns:<name>` / `ip:<address>` (addresses normalised). */
export function certificateNames(cert: X509Certificate): Set<string> {
  const names = new Set<string>();
  for (const entry of (cert.subjectAltName ?? '').split(', ')) {
    const [type, ...rest] = entry.split(':');
    const value = rest.join(':');
    if (type === 'DNS') names.add(`dns:${value.toLowerCase()}`);
    else if (type === 'IP Address') names.add(`ip:${normaliseIp(value)}`);
  }
  return names;
}

function nameSet(names: ServerCertificateNames): Set<string> {
  return new Set([
    ...names.dnsNames.map((name) => `dns:${name.toLowerCase()}`),
    ...names.ipAddresses.map((ip) => `ip:${normaliseIp(ip)}`),
  ]);
}

function parse(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function matchesKey(cert: X509Certificate, keyPem: string): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

function daysLeft(cert: X509Certificate, now: Date): number {
  return (new Date(cert.validTo).getTime() - now.getTime()) / DAY_MS;
}

function readPair(certFile: string, keyFile: string): PemPair | undefined {
  const certPem = readIfPresent(certFile);
  const keyPem = readIfPresent(keyFile);
  if (certPem === undefined || keyPem === undefined) return undefined;
  // A key someone copied in with looser permissions is tightened, not refused.
  guard(keyFile, 'protect', () => {
    if ((statSync(keyFile).mode & 0o077) !== 0) chmodSync(keyFile, 0o600);
  });
  return { certPem, keyPem };
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw storeError(file, 'read', error);
  }
}

/**
 * Key first, then certificate, each written to a temporary file and renamed into place: a crash
 * midway leaves a pair that fails the key check and is replaced, never a half-written file.
 */
function writePair(pair: PemPair, certFile: string, keyFile: string): void {
  writeAtomically(keyFile, pair.keyPem, 0o600);
  writeAtomically(certFile, pair.certPem, 0o644);
}

function writeAtomically(file: string, contents: string, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  guard(file, 'write', () => {
    writeFileSync(temporary, contents, { mode });
    // writeFile's mode applies only when it creates the file; make it exact either way.
    chmodSync(temporary, mode);
    renameSync(temporary, file);
  });
}

function guard(path: string, verb: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    throw storeError(path, verb, error);
  }
}

function storeError(path: string, verb: string, error: unknown): CertificateStoreError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new CertificateStoreError(
    `cannot ${verb} ${path} (${code}): HTTPS=1 keeps its certificate authority and server certificate under DATA_DIR/tls; set DATA_DIR to a directory this user can write`,
  );
}
