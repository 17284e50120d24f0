import { renderUnicodeCompact } from 'uqr';
import { CA_DOWNLOAD_PATH } from './ca-download.ts';

/**
 * What `HTTPS=1 npm start` prints for the person at the terminal (on stderr, so the JSON log
 * lines on stdout stay machine-readable): each address to open, a QR code of it for the phone's
 * camera app, and how to make the phone trust the local CA.
 */

export interface BannerInput {
  /** e.g. https://192.168.1.5:8080, one per LAN address; may be empty (no network yet). */
  lanUrls: readonly string[];
  /** e.g. https://localhost:8080 */
  localUrl: string;
  caPath: string;
  caFingerprint256: string;
}

export function lanBanner({ lanUrls, localUrl, caPath, caFingerprint256 }: BannerInput): string {
  const lines: string[] = [
    '',
    'Parley is serving HTTPS for phones and laptops on this network.',
    '',
  ];
  if (lanUrls.length === 0) {
    lines.push(
      'No LAN address found (is this machine on a network?). Only this machine can connect:',
      `  ${localUrl}`,
      '',
    );
  }
  // A QR code for each IPv4 address (what phones on a home network use); IPv6 ones as text.
  for (const url of lanUrls) {
    lines.push(`Open ${url}`, ...(url.includes('[') ? [] : [qrCode(url)]), '');
  }
  const first = lanUrls[0] ?? localUrl;
  lines.push(
    'Each device must trust this machine\'s certificate authority once (docs/self-hosting.md, "Phones and laptops on your network"):',
    `  download it on the device: ${first}${CA_DOWNLOAD_PATH} (accept the one warning first)`,
    `  or copy the file:          ${caPath}`,
    `  its SHA-256 fingerprint:   ${caFingerprint256}`,
    '  (check that the device shows the same fingerprint before you trust it)',
    `On this machine: ${localUrl}`,
    '',
  );
  return lines.join('\n');
}

/** Terminal-sized: two modules per character cell, with the quiet zone QR readers need. */
export function qrCode(text: string): string {
  return renderUnicodeCompact(text, { ecc: 'M', border: 2 });
}
