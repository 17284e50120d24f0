import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import type { NetworkInterfaceInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { HTTP_SESSION_PATHS } from '@parley/protocol';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../config.ts';
import { startServer, type ParleyServer } from '../server.ts';
import { CA_DOWNLOAD_PATH } from './ca-download.ts';
import { startLanMode, type LanMode } from './lan-mode.ts';

/**
 * A real server in LAN mode (HTTPS=1) on loopback, reached as a phone would: over TLS that is
 * verified against the local CA only, with the Origin of the machine's LAN address. The
 * machine's interfaces are given to the LAN mode, so the test can "move" it to another network.
 */

const logger = pino({ level: 'silent' });
let interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = {};
const wifi = (address: string): NetworkInterfaceInfo[] => [
  {
    address,
    netmask: '255.255.255.0',
    family: 'IPv4',
    mac: '02:00:00:00:00:01',
    internal: false,
    cidr: `${address}/24`,
  },
];

let dataDir: string;
let lan: LanMode;
let server: ParleyServer;
let printed = '';

// RSA key generation on two loaded cores: a deadline, not a measure.
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parley-lan-'));
  interfaces = { wlan0: wifi('192.0.2.7') };
  lan = await startLanMode({
    dir: join(dataDir, 'tls'),
    host: '0.0.0.0',
    logger,
    interfaces: () => interfaces,
    print: (text) => (printed += text),
  });
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    SIGNALING_SECRET: 'test-secret-that-is-long-enough',
    HTTPS: '1',
  });
  server = await startServer({ config, logger, https: lan.credentials() });
  lan.announce(server.port);
}, 60_000);

afterAll(async () => {
  await server?.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
});

const ca = () => lan.credentials().caCertPem;

function get(path: string, trust: string | undefined = ca()) {
  return new Promise<{ status: number; type: string | undefined; body: string }>(
    (resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path, ca: trust, servername: 'localhost' },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

/** Opens a WSS connection from a page on `origin`; resolves to the HTTP status or 101. */
function upgrade(origin: string): Promise<number> {
  const socket = new WebSocket(`wss://127.0.0.1:${server.port}/ws`, { origin, ca: ca() });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      // A working socket answers the protocol's ping.
      socket.send(JSON.stringify({ type: 'ping', t: 1 }));
      socket.once('message', (data) => {
        expect(JSON.parse(data.toString())).toMatchObject({ type: 'pong', t: 1 });
        socket.close();
        resolve(101);
      });
    });
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', reject);
  });
}

/** Opens an HTTP signalling session (the SSE / long-poll transports) from `origin`. */
function openHttpSession(origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: HTTP_SESSION_PATHS.open,
        method: 'POST',
        ca: ca(),
        headers: { Origin: origin, 'Content-Type': 'application/json' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

function servedCertificate(): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: '127.0.0.1', port: server.port, ca: ca(), servername: 'localhost' },
      () => {
        resolve(new X509Certificate(socket.getPeerCertificate(true).raw));
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

describe('LAN mode (HTTPS=1)', { timeout: 60_000 }, () => {
  it('serves HTTPS that verifies against the local CA, and only against it', async () => {
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    await expect(get('/healthz', '')).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  it('serves the CA certificate, never a key, at /ca.crt', async () => {
    const answer = await get(CA_DOWNLOAD_PATH);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('application/x-x509-ca-cert');
    expect(answer.body).toBe(ca());
    expect(answer.body).not.toMatch(/PRIVATE KEY/);
    expect(new X509Certificate(answer.body).ca).toBe(true);
  });

  it("lets pages on the machine's own https addresses signal, over WSS and HTTP sessions", async () => {
    const port = server.port;
    expect(await upgrade(`https://192.0.2.7:${port}`)).toBe(101);
    expect(await upgrade(`https://localhost:${port}`)).toBe(101);
    expect(await openHttpSession(`https://192.0.2.7:${port}`)).toBe(201);
  });

  it('refuses other origins: another address, another port, plain http on the address', async () => {
    const port = server.port;
    for (const origin of [
      `https://192.0.2.99:${port}`,
      `https://192.0.2.7:${port + 1}`,
      `http://192.0.2.7:${port}`,
      'https://evil.example',
    ]) {
      expect(await upgrade(origin), origin).toBe(403);
      expect(await openHttpSession(origin), origin).toBe(403);
    }
  });

  it('printed each LAN URL and where the CA is, with its fingerprint', () => {
    const url = `https://192.0.2.7:${server.port}`;
    expect(printed).toContain(`Open ${url}`);
    expect(printed).toContain(`${url}${CA_DOWNLOAD_PATH}`);
    expect(printed).toContain(join(dataDir, 'tls', 'ca.crt'));
    expect(printed).toContain(new X509Certificate(ca()).fingerprint256);
    expect(printed).toMatch(/[█▀▄]{20,}/); // the QR code
  });

  it('moves to a new network: a certificate for the new address, and its origin allowed', async () => {
    const caBefore = ca();
    printed = '';
    interfaces = { wlan0: wifi('198.51.100.23') };
    expect(await lan.check((credentials) => server.updateHttps(credentials))).toBe(true);

    const served = await servedCertificate();
    expect(served.checkIP('198.51.100.23')).toBe('198.51.100.23');
    expect(served.checkIP('192.0.2.7')).toBeUndefined();
    expect(ca()).toBe(caBefore); // phones keep trusting the same CA
    expect(await upgrade(`https://198.51.100.23:${server.port}`)).toBe(101);
    expect(await upgrade(`https://192.0.2.7:${server.port}`)).toBe(403);
    expect(printed).toContain(`Open https://198.51.100.23:${server.port}`);
    // Nothing changed since: no reissue.
    expect(await lan.check((credentials) => server.updateHttps(credentials))).toBe(false);
  });
});

describe('LAN mode with ALLOWED_ORIGINS', () => {
  it('allows exactly the listed origins, not the served addresses', async () => {
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      HTTPS: '1',
      ALLOWED_ORIGINS: 'https://meet.example.org',
    });
    const other = await startServer({ config, logger, https: lan.credentials() });
    try {
      const status = (origin: string) =>
        new Promise<number>((resolve, reject) => {
          const socket = new WebSocket(`wss://127.0.0.1:${other.port}/ws`, { origin, ca: ca() });
          socket.once('open', () => {
            socket.close();
            resolve(101);
          });
          socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          socket.once('error', reject);
        });
      expect(await status('https://meet.example.org')).toBe(101);
      expect(await status(`https://198.51.100.23:${other.port}`)).toBe(403);
      expect(await status(`https://localhost:${other.port}`)).toBe(403);
    } finally {
      await other.shutdown();
    }
  });
});
