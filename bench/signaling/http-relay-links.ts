import {
  HTTP_SESSION_PATHS,
  PROTOCOL_VERSION,
  SESSION_TOKEN_HEADER,
  SseReader,
} from '@parley/protocol';
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
  const opened = await fetch(baseUrl + HTTP_SESSION_PATHS.open, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: baseUrl },
    body: '{}',
  });
  if (opened.status !== 201) throw new Error(`session refused: ${opened.status}`);
  const { token } = (await opened.json()) as { token: string };
  const reading = new AbortController();
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
      const res = await fetch(baseUrl + HTTP_SESSION_PATHS.send, {
        method: 'POST',
        headers,
        body: JSON.stringify({ seq, ack: acked, frames }),
      });
      if (res.status !== 200) throw new Error(`send refused: ${res.status}`);
      await res.arrayBuffer();
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
      reading.abort();
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
    const res = await fetch(baseUrl + HTTP_SESSION_PATHS.stream, {
      headers: { [SESSION_TOKEN_HEADER]: token },
      signal: reading.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`stream refused: ${res.status}`);
    const reader = new SseReader((event) => {
      if (event.id !== undefined) receive(Number(event.id), event.data);
    });
    const body = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      try {
        for (let chunk = await body.read(); !chunk.done; chunk = await body.read())
          reader.feed(chunk.value);
      } catch {
        // closed by the bench
      }
    })();
  } else {
    void (async () => {
      while (!closed) {
        try {
          const res = await fetch(`${baseUrl}${HTTP_SESSION_PATHS.poll}?after=${lastSeq}`, {
            headers: { [SESSION_TOKEN_HEADER]: token },
            signal: reading.signal,
          });
          const result = (await res.json()) as { frames: Array<{ seq: number; frame: string }> };
          for (const { seq, frame } of result.frames) receive(seq, frame);
        } catch {
          return; // closed by the bench
        }
      }
    })();
  }
  return link;
}
