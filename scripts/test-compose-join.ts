/**
 * Part of scripts/test-compose.sh, run inside its network namespace with tsx: joins a room
 * through Caddy over real TLS, as a browser on https://DOMAIN would, and prints the TURN
 * credentials from `joined` for the coturn checks that follow.
 *
 *   tsx scripts/test-compose-join.ts <domain> <address> <caddy root CA file>
 *
 * Output (stdout), one per line: TURN_URL=…, TURN_USERNAME=…, TURN_CREDENTIAL=…
 * Any failed expectation exits non-zero with the reason on stderr.
 */
import { readFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import {
  PROTOCOL_VERSION,
  decodeServerMessage,
  encodeMessage,
  randomId,
  type ServerMessage,
} from '@parley/protocol';
import WebSocket from 'ws';

const [domain, address, caFile] = process.argv.slice(2);
if (!domain || !address || !caFile) {
  console.error('usage: test-compose-join.ts <domain> <address> <caddy root CA file>');
  process.exit(64);
}
const ca = readFileSync(caFile);
const url = `wss://${domain}/ws`;

/** Resolves DOMAIN to the namespace's address, the way public DNS would point at the server. */
const lookup = ((_host, options, callback) => {
  const family = 4;
  if (options.all) callback(null, [{ address, family }]);
  else callback(null, address, family);
}) as LookupFunction;

function fail(message: string): never {
  console.error(`test-compose-join: ${message}`);
  process.exit(1);
}

/** A page on another site must not get a socket (the Origin allowlist is https://DOMAIN). */
async function expectForeignOriginRefused(): Promise<void> {
  const socket = new WebSocket(url, { origin: 'https://attacker.test', ca, lookup });
  const status = await new Promise<number | 'open'>((resolve, reject) => {
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('open', () => resolve('open'));
    socket.once('error', reject);
  });
  socket.terminate();
  if (status !== 403) fail(`a foreign Origin got ${status}, expected 403`);
}

async function join(): Promise<Extract<ServerMessage, { type: 'joined' }>> {
  const socket = new WebSocket(url, { origin: `https://${domain}`, ca, lookup });
  const first = new Promise<ServerMessage>((resolve, reject) => {
    socket.once('message', (data) => {
      const decoded = decodeServerMessage(data.toString());
      if (decoded.ok) resolve(decoded.message);
      else reject(new Error(`the server sent an invalid frame: ${decoded.message}`));
    });
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`closed with ${code} before joined`)));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(
    encodeMessage({
      type: 'join',
      protocol: PROTOCOL_VERSION,
      roomId: randomId(),
      displayName: 'compose smoke test',
    }),
  );
  const message = await first;
  socket.close(1000);
  if (message.type !== 'joined') fail(`expected joined, got ${JSON.stringify(message)}`);
  return message;
}

await expectForeignOriginRefused();
const joined = await join();
const expectedUrl = `turn:${domain}:3478?transport=udp`;
const turn = joined.iceServers.find((server) =>
  (Array.isArray(server.urls) ? server.urls : [server.urls]).includes(expectedUrl),
);
if (!turn) {
  fail(
    `joined carried no ICE server with ${expectedUrl}; got ${JSON.stringify(joined.iceServers)}`,
  );
}
if (!turn.username || !turn.credential) fail(`the TURN server came without credentials`);
console.log(`TURN_URL=${expectedUrl}`);
console.log(`TURN_USERNAME=${turn.username}`);
console.log(`TURN_CREDENTIAL=${turn.credential}`);
