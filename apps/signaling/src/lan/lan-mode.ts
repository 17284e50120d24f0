import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import type { Logger } from '../logger.ts';
import { ensureLanCertificates, type LanCertificates } from './certificate-store.ts';
import { lanBanner } from './lan-banner.ts';
import { httpsOrigin as origin, servedNames, type ServedNames } from './lan-addresses.ts';

/**
 * HTTPS=1, end to end: certificates for this machine's names before the server listens; after,
 * the addresses to open (logged, and printed with QR codes for the person at the terminal); and
 * while it runs, a look at the addresses every half minute, so a laptop that moves to another
 * network gets a certificate for its new address without a restart.
 */

/** What the server needs to serve HTTPS; see server.ts. */
export interface HttpsCredentials {
  key: string;
  cert: string;
  /** The local CA certificate, served at /ca.crt. Public; the CA key never leaves DATA_DIR. */
  caCertPem: string;
  /** Every host the certificate names: their https origins on the port may open signalling. */
  hosts: readonly string[];
}

export interface LanMode {
  credentials(): HttpsCredentials;
  /** Logs and prints the URLs for `port` (call once listening, and again after a change). */
  announce(port: number): void;
  /**
   * One look at the addresses and the certificate's expiry; when either calls for it, reissues,
   * hands the new credentials to `apply` (the running server) and announces again. Resolves to
   * whether it reissued.
   */
  check(apply: ApplyCredentials): Promise<boolean>;
  /** Calls check(apply) every `intervalMs` until the returned function is called. */
  watch(apply: ApplyCredentials, intervalMs?: number): () => void;
}

export interface LanModeOptions {
  /** DATA_DIR/tls */
  dir: string;
  /** HOST: which of the addresses are reachable (all of them for 0.0.0.0 / ::). */
  host: string;
  logger: Logger;
  print?: (text: string) => void;
  interfaces?: typeof networkInterfaces;
  now?: () => Date;
}

export type ApplyCredentials = (credentials: HttpsCredentials) => void;

export const ADDRESS_CHECK_MS = 30_000;

export async function startLanMode(options: LanModeOptions): Promise<LanMode> {
  const {
    dir,
    host,
    logger,
    print = (text) => process.stderr.write(text),
    interfaces = networkInterfaces,
    now = () => new Date(),
  } = options;
  let names = servedNames(interfaces());
  let certificates = await ensureLanCertificates({ dir, names, now: now() });
  let port: number | undefined;
  let checking: Promise<boolean> | undefined;
  logCertificates(logger, certificates);

  const credentials = (): HttpsCredentials => ({
    key: certificates.keyPem,
    cert: certificates.certPem,
    caCertPem: certificates.caCertPem,
    hosts: [...names.dnsNames, ...names.ipAddresses],
  });

  const announce = (listeningOn: number): void => {
    port = listeningOn;
    const reachable = reachableAddresses(names, host);
    const lanUrls = reachable.map((address) => origin(address, listeningOn));
    const localUrl = origin('localhost', listeningOn);
    logger.info(
      {
        urls: lanUrls,
        caPath: certificates.caPath,
        caFingerprint256: certificates.caFingerprint256,
      },
      `LAN HTTPS: open ${lanUrls.join(' or ') || localUrl}; devices trust the CA at ${certificates.caPath}`,
    );
    if (!isWildcard(host) && reachable.length === 0) {
      logger.warn(
        { host },
        "HOST is not one of this machine's LAN addresses: other devices cannot connect; set HOST=0.0.0.0",
      );
    }
    print(
      lanBanner({
        lanUrls,
        localUrl,
        caPath: certificates.caPath,
        caFingerprint256: certificates.caFingerprint256,
      }),
    );
  };

  const checkOnce = async (apply: ApplyCredentials): Promise<boolean> => {
    const current = servedNames(interfaces());
    const moved = current.ipAddresses.join() !== names.ipAddresses.join();
    const expiring = certificates.serverNotAfter.getTime() - now().getTime() < RENEW_CHECK_MS;
    if (!moved && !expiring) return false;
    const next = await ensureLanCertificates({ dir, names: current, now: now() });
    names = current;
    certificates = next;
    logCertificates(logger, certificates);
    apply(credentials());
    if (port !== undefined) announce(port);
    return true;
  };

  // Overlapping checks (a slow key generation) share one run.
  const check = (apply: ApplyCredentials) =>
    (checking ??= checkOnce(apply).finally(() => (checking = undefined)));

  return {
    credentials,
    announce,
    check,
    watch(apply, intervalMs = ADDRESS_CHECK_MS) {
      const timer = setInterval(() => {
        check(apply).catch((error: unknown) =>
          logger.error({ err: error }, 'LAN HTTPS: could not renew the server certificate'),
        );
      }, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

/** A little more than certificate-store's renewal window, so a check never races it. */
const RENEW_CHECK_MS = 31 * 24 * 3600 * 1000;

function logCertificates(logger: Logger, certificates: LanCertificates): void {
  if (certificates.ca === 'created') {
    logger.warn(
      { caPath: certificates.caPath, caFingerprint256: certificates.caFingerprint256 },
      'LAN HTTPS: created a new local certificate authority; each phone or laptop must trust it once (docs/self-hosting.md)',
    );
  }
  if (certificates.server.action === 'issued') {
    logger.info(
      { reason: certificates.server.reason, notAfter: certificates.serverNotAfter.toISOString() },
      'LAN HTTPS: issued a server certificate',
    );
  }
}

/** The LAN addresses a device can reach given HOST. */
function reachableAddresses(names: ServedNames, host: string): string[] {
  if (isWildcard(host)) return names.lanAddresses;
  if (!ipaddr.isValid(host)) return [];
  const wanted = ipaddr.parse(host).toString();
  return names.lanAddresses.filter((address) => address === wanted);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}
