import type { SessionClosed } from '@parley/protocol';
import { SSE_CLOSE_EVENT } from '@parley/protocol';
import type { NumberedFrame } from './outbound-frames.ts';

/**
 * Server-Sent Events framing (WHATWG HTML, "Server-sent events"). A frame is one event whose
 * `id` is its sequence number, so a browser's EventSource (or any client) resumes with
 * `Last-Event-ID`. Protocol frames are JSON; a relayed payload keeps the sender's bytes, which
 * may hold line breaks as JSON whitespace, so those are split over several `data:` lines (the
 * reader joins them with `\n`, which is still the same JSON).
 */
export function sseFrame(frame: NumberedFrame): Buffer {
  const { seq, bytes } = frame;
  const hasBreak = bytes.includes(0x0a) || bytes.includes(0x0d);
  const data = hasBreak
    ? Buffer.from(
        bytes
          .toString()
          .split(/\r\n|\r|\n/)
          .join('\ndata: '),
      )
    : bytes;
  return Buffer.concat([Buffer.from(`id: ${seq}\ndata: `), data, Buffer.from('\n\n')]);
}

/** The last event of a stream: the session is over, with the WebSocket close code it would have had. */
export function sseClose(closed: SessionClosed): string {
  return `event: ${SSE_CLOSE_EVENT}\ndata: ${JSON.stringify(closed)}\n\n`;
}

/** A comment: ignored by readers, but it keeps proxies from timing out an idle stream. */
export const SSE_HEARTBEAT = ': heartbeat\n\n';

/** Sent first, so a client sees at once whether something on the way buffers the stream. */
export const SSE_OPENING = ': open\n\n';
