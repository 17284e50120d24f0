import { announceReady, serveRpc } from './rpc.ts';
import { openLink, type RelayLink, type Transport } from './http-relay-links.ts';
import { pace } from './pace.ts';

/**
 * One participant of the HTTP relay bench's latency measurement, in a process of its own (as
 * each participant of a call is a browser of its own): the sender paces stamped signals, the
 * receiver records how late each arrived. Run by bench/signaling/http-relay.ts through RpcChild.
 *
 * A signal's SDP carries the wall-clock time it was sent; processes on one host
 * share that clock (performance.timeOrigin + now()), so the receiver computes the latency.
 */

let link: RelayLink | undefined;
let latencies: number[] = [];

const wallClock = () => performance.timeOrigin + performance.now();
const PREFIX = 'v=0\r\n';

async function open(args: { url: string; transport: Transport; room: string }): Promise<string> {
  link?.close();
  latencies = [];
  const opened = await openLink(args.url, args.transport);
  opened.onSignal = (sdp) => latencies.push(wallClock() - Number(sdp.slice(PREFIX.length)));
  link = opened;
  return opened.join(args.room);
}

/**
 * Sends `rate` signals a second to `to` for `ms`. Each is stamped with the moment it is handed
 * to the link, so the link's own queueing (an HTTP link waits for the POST before it) counts,
 * and the pacer's timer does not: Node's 1 ms interval fires 1.5–2 ms late on median here, more
 * than the relay itself takes. That lateness is returned beside the count, to be reported.
 */
async function paced(args: {
  to: string;
  rate: number;
  ms: number;
}): Promise<{ sent: number; timerLateness: Float64Array }> {
  const sender = link;
  if (!sender) throw new Error('no link open');
  const timerLateness = new Float64Array(Math.floor((args.ms * args.rate) / 1000));
  const sent = await pace(args.rate, args.ms, (index, dueAt) => {
    timerLateness[index] = performance.now() - dueAt;
    const payload = { type: 'offer', sdp: `${PREFIX}${wallClock()}` };
    sender.send(JSON.stringify({ type: 'signal', to: args.to, payload }));
  });
  return { sent, timerLateness };
}

/** The latencies (ms) recorded since the last call, and forgets them. */
function take(): Float64Array {
  const out = Float64Array.from(latencies);
  latencies = [];
  return out;
}

function close(): void {
  link?.close();
  link = undefined;
}

serveRpc({ open, paced, take, close });
announceReady({ pid: process.pid });
