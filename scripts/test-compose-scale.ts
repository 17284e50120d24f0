/**
 * Part of scripts/test-compose-scale.sh (run by scripts/test-compose.sh), inside its network
 * namespace with tsx: two WebSocket clients join one room through Caddy in front of the scaled
 * stack (docker-compose.scale.yml), land on different app replicas, and relay signals to each
 * other across them (through Redis).
 *
 *   tsx scripts/test-compose-scale.ts <domain> <address> <caddy root CA file> <service=address>...
 *
 * Environment: METRICS_PORT (the replicas'; default 9100).
 *
 * How it knows where each client landed: every replica serves Prometheus metrics on
 * METRICS_PORT of its address in the compose network (METRICS_HOST=0.0.0.0, as for a Prometheus
 * scraping it there; never through Caddy), which the engine's namespace reaches. A client
 * is on the replica whose `parley_participants` rose when it joined. The relay is shown twice:
 * each client receives the other's signal, and the sender's replica counts it as handed to
 * another instance (`parley_relayed_messages_total{path="out"}`), the receiver's as delivered
 * from one (`{path="in"}`).
 *
 * Output (stdout): FIRST=<service> SECOND=<service>. Any failed expectation exits non-zero with
 * the reason on stderr.
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

const [domain, address, caFile, ...replicaArgs] = process.argv.slice(2);
if (!domain || !address || !caFile || replicaArgs.length < 2) {
  console.error(
    'usage: test-compose-scale.ts <domain> <address> <caddy root CA file> <service=address>...',
  );
  process.exit(64);
}
const replicas = replicaArgs.map((arg) => {
  const [service = '', host = ''] = arg.split('=');
  return { service, host };
});
const ca = readFileSync(caFile);
const metricsPort = process.env.METRICS_PORT ?? '9100';

const lookup = ((_host, options, callback) => {
  if (options.all) callback(null, [{ address, family: 4 }]);
  else callback(null, address, 4);
}) as LookupFunction;

function fail(message: string): never {
  console.error(`test-compose-scale: ${message}`);
  process.exit(1);
}

/** One replica's metrics, from its metrics port in the compose network. */
async function metrics(host: string): Promise<Map<string, number>> {
  const response = await fetch(`http://${host}:${metricsPort}/metrics`);
  if (!response.ok) fail(`${host}:${metricsPort}/metrics answered ${response.status}`);
  const values = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

const participants = () =>
  Promise.all(replicas.map(async (r) => (await metrics(r.host)).get('parley_participants') ?? 0));

/** A client whose server messages are awaited one by one, matched by a predicate. */
class Client {
  private readonly inbox: ServerMessage[] = [];
  private readonly waiters: Array<() => boolean> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const decoded = decodeServerMessage(data.toString());
      if (!decoded.ok) fail(`the server sent an invalid frame: ${decoded.message}`);
      this.inbox.push(decoded.message);
      for (const waiter of [...this.waiters])
        if (waiter()) this.waiters.splice(this.waiters.indexOf(waiter), 1);
    });
    socket.on('close', (code) => {
      if (code !== 1000) fail(`a client was closed with ${code}`);
    });
  }

  static async connect(): Promise<Client> {
    const socket = new WebSocket(`wss://${domain}/ws`, { origin: `https://${domain}`, ca, lookup });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new Client(socket);
  }

  send(message: Parameters<typeof encodeMessage>[0]): void {
    this.socket.send(encodeMessage(message));
  }

  next<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    const take = () => {
      const at = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
      if (at < 0) return undefined;
      const [message] = this.inbox.splice(at, 1);
      if (message?.type === 'error') fail(`expected ${type}, got ${JSON.stringify(message)}`);
      return message as Extract<ServerMessage, { type: T }>;
    };
    return new Promise((resolve) => {
      const now = take();
      if (now) return resolve(now);
      this.waiters.push(() => {
        const message = take();
        if (message) resolve(message);
        return message !== undefined;
      });
    });
  }
}

/** Joins and returns the replica the client is on: the one whose participant count rose. */
async function joinAndLocate(client: Client, roomId: string, name: string) {
  const before = await participants();
  client.send({ type: 'join', protocol: PROTOCOL_VERSION, roomId, displayName: name });
  const joined = await client.next('joined');
  const after = await participants();
  const rose = replicas.filter((_, i) => (after[i] ?? 0) > (before[i] ?? 0));
  const [replica] = rose;
  if (!replica || rose.length !== 1)
    fail(`${name}'s join changed participants on ${rose.length} replicas: ${before} → ${after}`);
  return { joined, replica };
}

const roomId = randomId();
const ada = await Client.connect();
const first = await joinAndLocate(ada, roomId, 'Ada');
// Caddy's least_conn sends the next client to a replica without an open connection.
const bob = await Client.connect();
const second = await joinAndLocate(bob, roomId, 'Bob');
if (first.replica.service === second.replica.service)
  fail(`both clients landed on ${first.replica.service}`);
if (!second.joined.peers.some((p) => p.id === first.joined.selfId))
  fail(`Bob on ${second.replica.service} does not see Ada on ${first.replica.service}`);
await ada.next('peer-joined');

const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } as const;
ada.send({ type: 'signal', to: second.joined.selfId, payload: offer });
const atBob = await bob.next('signal');
if (atBob.from !== first.joined.selfId) fail(`Bob got a signal from ${atBob.from}`);
const answer = { type: 'answer', sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n' } as const;
bob.send({ type: 'signal', to: first.joined.selfId, payload: answer });
const atAda = await ada.next('signal');
if (atAda.from !== second.joined.selfId) fail(`Ada got a signal from ${atAda.from}`);

for (const replica of [first.replica, second.replica]) {
  const values = await metrics(replica.host);
  const relayed = (path: 'in' | 'out') =>
    values.get(`parley_relayed_messages_total{path="${path}"}`) ?? 0;
  if (relayed('out') < 1 || relayed('in') < 1)
    fail(`${replica.service} relayed nothing across instances`);
}
ada.socket.close(1000);
bob.socket.close(1000);
console.log(`FIRST=${first.replica.service}`);
console.log(`SECOND=${second.replica.service}`);
