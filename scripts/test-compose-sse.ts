/**
 * Part of scripts/test-compose.sh, run inside its network namespace with tsx: proves that the
 * SSE fallback (docs/protocol.md, "HTTP transports") works through Caddy unbuffered. It opens
 * a session, opens its event stream, then sends a ping; the pong must arrive on that same
 * stream while it stays open. A proxy that buffered the response would hold it until the
 * stream ended, which it never does by itself.
 *
 *   tsx scripts/test-compose-sse.ts <domain> <address> <caddy root CA file>
 *
 * Prints one line (how long the pong took) on success; exits non-zero with the reason if not.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import type { LookupFunction } from 'node:net';

const [domain, address, caFile] = process.argv.slice(2);
if (!domain || !address || !caFile) {
  console.error('usage: test-compose-sse.ts <domain> <address> <caddy root CA file>');
  process.exit(64);
}
const ca = readFileSync(caFile);
const origin = `https://${domain}`;
/** How long the pong may take: far above a relay's milliseconds, far below "never". */
const DEADLINE_MS = 10_000;

/** Resolves DOMAIN to the namespace's address, the way public DNS would point at the server. */
const lookup = ((_host, options, callback) => {
  if (options.all) callback(null, [{ address, family: 4 }]);
  else callback(null, address, 4);
}) as LookupFunction;

function fail(message: string): never {
  console.error(`test-compose-sse: ${message}`);
  process.exit(1);
}

function open(
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: domain, servername: domain, path, method, headers, ca, lookup, timeout: 10_000 },
      resolve,
    );
    req.once('error', reject);
    req.once('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function post(path: string, token: string | undefined, body: unknown): Promise<unknown> {
  const headers: Record<string, string> = { origin, 'content-type': 'application/json' };
  if (token) headers['x-parley-session'] = token;
  const res = await open('POST', path, headers, body);
  let text = '';
  for await (const chunk of res) text += String(chunk);
  if ((res.statusCode ?? 0) >= 300) fail(`POST ${path} answered ${res.statusCode}: ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown); // close answers 204
}

const session = (await post('/signal/session', undefined, {})) as { token?: string };
const token = session.token ?? fail(`no session token in ${JSON.stringify(session)}`);

const stream = await open('GET', '/signal/stream', { 'x-parley-session': token });
if (stream.statusCode !== 200) fail(`the stream answered ${stream.statusCode}`);
const type = String(stream.headers['content-type']);
if (!type.startsWith('text/event-stream')) fail(`the stream came as ${type}`);

let received = '';
const opened = new Promise<void>((resolve) => {
  stream.on('data', (chunk: Buffer) => {
    received += chunk.toString();
    if (received.includes(': open')) resolve();
  });
});
const pong = new Promise<number>((resolve) => {
  stream.on('data', () => {
    if (received.includes('"type":"pong"')) resolve(performance.now());
  });
});
stream.once('end', () => fail(`the stream ended early; it held: ${JSON.stringify(received)}`));
const timer = setTimeout(
  () => fail(`nothing reached the open stream in ${DEADLINE_MS} ms: ${JSON.stringify(received)}`),
  DEADLINE_MS,
);

await opened;
const sentAt = performance.now();
await post('/signal/send', token, { seq: 1, ack: 0, frames: ['{"type":"ping","t":1}'] });
const pongAt = await pong;
clearTimeout(timer);
stream.removeAllListeners('end');
await post('/signal/close', token, { code: 1000 });
stream.destroy();
console.log(`SSE_PONG_MS=${Math.round(pongAt - sentAt)}`);
