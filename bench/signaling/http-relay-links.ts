import {
  HTTP_SESSION_PATHS,
  PROTOCOL_VERSION,
  SESSION_TOKEN_HEADER,
  SseReader,
} from '@parley/protocol';
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import WebSocket from 'ws';

/**
 * Bench clients of one signalling server over each transport, with one surface: join a room,
 * send frames, hear every `signal` that arrives. The HTTP ones send as the web client does:
 * frames queued while a POST is on its way go out together in the next one; what they receive
 * is acknowledged on the next POST, or by an empty one after a short while.
 */

export type Transport = 'websocket' | 'sse' | 'poll';

export interface RelayLink {
  /** Joins `roomId`; resolves with this participant's ID. */
  join(roomId: string): Promise<string>;
  send(frame: string): void;
  /** Called with each `signal` message's payload SDP. */
  onSignal: (sdp: string) => void;
  close(): void;
}

/** An acknowledgement goes out at the latest this long after a frame arrived. */
const ACK_DELAY_MS = 50;

/**
 * The HTTP clients use node:http with kept-alive connections, not fetch: this process is the
 * load generator for both sides of every pair, and at 1k signals/s undici's fetch and web
 * streams cost it 520 µs of CPU per signal over SSE (WebSocket: 150), enough on two shared
 * cores to put the client's own queueing into the server's figures. A browser's fetch runs in
 * its own process and keeps its connections alive the same way.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

type Reply = { status: number; body: string };

/**
 * One request; resolves with the whole answer. `started` gets it, e.g. to cut it short.
 *
 * A kept-alive connection can be closed by the server's idle timeout just as a request goes
 * out on it, which fails with no answer ("socket hang up"); on a loaded machine the client's
 * own idle timer runs late enough for that to happen. Such a request never reached the
 * server's handler, so a POST is sent once more on a fresh connection, as browsers do (and
 * every frame is numbered, so even a repeat would be applied once).
 */
function call(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
  started?: (req: ClientRequest) => void,
  retried = false,
): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    let answered = false;
    const req = request(url, { method, headers, agent }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // Only POSTs: a poll or a stream is cut on purpose by `started`'s caller, the same way.
      const staleConnection =
        method === 'POST' &&
        req.reusedSocket &&
        !answered &&
        !retried &&
        error.code === 'ECONNRESET';
      if (staleConnection) call(url, method, headers, body, started, true).then(resolve, reject);
      else reject(error);
    });
    started?.(req);
    req.end(body);
  });
}

/** A request whose answer is read as it arrives (the SSE stream). */
function open(url: string, headers: Record<string, string>) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { headers, agent }, resolve);
    req.on('error', reject);
    req.end();
  });
}

export async function openLink(baseUrl: string, transport: Transport): Promise<RelayLink> {
  return transport === 'websocket' ? openWebSocket(baseUrl) : openHttp(baseUrl, transport);
}

function joinFrame(roomId: string): string {
  return JSON.stringify({ type: 'join', protocol: PROTOCOL_VERSION, roomId, displayName: 'b' });
}

/** Routes a server frame: `joined` to the waiting join, `signal` to `onSignal`. */
function dispatcher(link: RelayLink, joined: { resolve?: (id: string) => void }) {
  return (text: string) => {
    // Cheap pre-check: every relayed frame is a signal; parse only what we need.
    const message = JSON.parse(text) as {
      type: string;
      selfId?: string;
      payload?: { sdp: string };
    };
    if (message.type === 'signal') link.onSignal(message.payload?.sdp ?? '');
    else if (message.type === 'joined') joined.resolve?.(message.selfId ?? '');
  };
}

async function openWebSocket(baseUrl: string): Promise<RelayLink> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, {
    origin: baseUrl,
    perMessageDeflate: false,
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const joined: { resolve?: (id: string) => void } = {};
  const link: RelayLink = {
    join(roomId) {
      const id = new Promise<string>((resolve) => (joined.resolve = resolve));
      ws.send(joinFrame(roomId));
      return id;
    },
    send: (frame) => ws.send(frame),
    onSignal: () => undefined,
    close: () => ws.terminate(),
  };
  const dispatch = dispatcher(link, joined);
  ws.on('message', (data) => dispatch(data.toString()));
  return link;
}

async function openHttp(baseUrl: string, mode: 'sse' | 'poll'): Promise<RelayLink> {
  const opened = await call(
    baseUrl + HTTP_SESSION_PATHS.open,
    'POST',
    {
      'Content-Type': 'application/json',
      Origin: baseUrl,
    },
    '{}',
  );
  if (opened.status !== 201) throw new Error(`session refused: ${opened.status}`);
  const { token } = JSON.parse(opened.body) as { token: string };
  const reading: { stop?: () => void } = {};
  const queue: string[] = [];
  let nextSeq = 1;
  let lastSeq = 0;
  let acked = 0;
  let posting = false;
  let ackTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const headers = {
    'Content-Type': 'application/json',
    Origin: baseUrl,
    [SESSION_TOKEN_HEADER]: token,
  };

  const pump = async () => {
    if (posting || closed) return;
    posting = true;
    while ((queue.length > 0 || acked < lastSeq) && !closed) {
      const frames = queue.splice(0, 32);
      const seq = nextSeq;
      nextSeq += frames.length;
      acked = lastSeq;
      const res = await call(
        baseUrl + HTTP_SESSION_PATHS.send,
        'POST',
        headers,
        JSON.stringify({ seq, ack: acked, frames }),
      );
      if (res.status !== 200) throw new Error(`send refused: ${res.status}`);
    }
    posting = false;
  };
  const post = () => void pump().catch((error: unknown) => console.error(String(error)));

  const joined: { resolve?: (id: string) => void } = {};
  const link: RelayLink = {
    join(roomId) {
      const id = new Promise<string>((resolve) => (joined.resolve = resolve));
      link.send(joinFrame(roomId));
      return id;
    },
    send(frame) {
      queue.push(frame);
      post();
    },
    onSignal: () => undefined,
    close() {
      closed = true;
      clearTimeout(ackTimer);
      reading.stop?.();
    },
  };
  const dispatch = dispatcher(link, joined);
  const receive = (seq: number, frame: string) => {
    if (seq <= lastSeq) return;
    lastSeq = seq;
    dispatch(frame);
    // The SSE reader acknowledges by POST; a poll acknowledges with its own `after`.
    if (mode === 'sse')
      ackTimer ??= setTimeout(() => ((ackTimer = undefined), post()), ACK_DELAY_MS);
  };

  if (mode === 'sse') {
    const res = await open(baseUrl + HTTP_SESSION_PATHS.stream, {
      [SESSION_TOKEN_HEADER]: token,
    });
    if (res.statusCode !== 200) throw new Error(`stream refused: ${res.statusCode}`);
    const reader = new SseReader((event) => {
      if (event.id !== undefined) receive(Number(event.id), event.data);
    });
    reading.stop = () => res.destroy();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => reader.feed(chunk));
    res.on('error', () => undefined); // closed by the bench
  } else {
    void (async () => {
      while (!closed) {
        try {
          const res = await call(
            `${baseUrl}${HTTP_SESSION_PATHS.poll}?after=${lastSeq}`,
            'GET',
            { [SESSION_TOKEN_HEADER]: token },
            undefined,
            (req) => (reading.stop = () => req.destroy()),
          );
          if (closed) return;
          const result = JSON.parse(res.body) as { frames: Array<{ seq: number; frame: string }> };
          for (const { seq, frame } of result.frames) receive(seq, frame);
        } catch {
          return; // closed by the bench
        }
      }
    })();
  }
  return link;
}
