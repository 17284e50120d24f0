import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/**
 * Making certificates: a local certificate authority, and server certificates it signs. Built
 * with node-forge (no hand-made ASN.1 here); keys come from Node's native RSA key generation,
 * which takes milliseconds where forge's pure-JS one takes seconds.
 *
 * RSA 2048 + SHA-256 everywhere: what every phone accepts (iOS requires RSA ≥ 2048 and SHA-2 for
 * TLS server certificates).
 */

const generateRsa = promisify(generateKeyPair);

/** The CA is trusted once per device, so it lives long: ten years. */
export const CA_VALIDITY_DAYS = 3650;
/**
 * Server certificates: 397 days, the most Apple and Chromium accept for a TLS server
 * certificate (their limit is meant for public CAs, but staying under it costs nothing).
 */
export const SERVER_VALIDITY_DAYS = 397;
/** Backdated so a phone whose clock runs a little behind still accepts a fresh certificate. */
const BACKDATE_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 3600 * 1000;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface ServerCertificateNames {
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
}

async function rsaKeyPair(): Promise<{ publicKey: forge.pki.PublicKey; keyPem: string }> {
  const { privateKey, publicKey } = await generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKey: forge.pki.publicKeyFromPem(publicKey), keyPem: privateKey };
}

/** 16 random bytes with the top bit clear: a positive serial, unique without bookkeeping. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes.writeUInt8(bytes.readUInt8(0) & 0x7f, 0);
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

/**
 * A new CA. Its name carries the machine and the date, so among the certificates a phone
 * trusts, the user can tell which one this is (and remove it later).
 */
export async function createCertificateAuthority(machine: string, now: Date): Promise<PemPair> {
  const { publicKey, keyPem } = await rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, now, CA_VALIDITY_DAYS);
  const name = [
    {
      name: 'commonName',
      value: `Parley local CA (${machine}) ${now.toISOString().slice(0, 10)}`,
    },
    { name: 'organizationName', value: 'Parley (self-hosted)' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    // pathLen 0: this CA signs server certificates only, never another CA.
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKeyFrom(keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** A server certificate for exactly `names`, signed by `ca`. */
export async function issueServerCertificate(
  ca: PemPair,
  names: ServerCertificateNames,
  now: Date,
): Promise<PemPair> {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const { publicKey, keyPem } = await rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, now, SERVER_VALIDITY_DAYS);
  cert.setSubject([{ name: 'commonName', value: names.dnsNames[0] ?? 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...names.dnsNames.map((value) => ({ type: 2, value })),
        ...names.ipAddresses.map((ip) => ({ type: 7, ip })),
      ],
    },
    { name: 'subjectKeyIdentifier' },
    {
      name: 'authorityKeyIdentifier',
      keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes(),
    },
  ]);
  cert.sign(privateKeyFrom(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

function privateKeyFrom(pkcs8Pem: string): forge.pki.rsa.PrivateKey {
  return forge.pki.privateKeyFromPem(pkcs8Pem) as forge.pki.rsa.PrivateKey;
}
