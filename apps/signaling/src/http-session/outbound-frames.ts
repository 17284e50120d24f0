/** One server → client frame, numbered. `bytes` is its UTF-8 text. */
export interface NumberedFrame {
  seq: number;
  bytes: Buffer;
}

/**
 * The frames a session has sent and the client has not acknowledged yet, numbered from 1. A
 * frame stays until acked, so a stream that breaks mid-write or a poll whose answer is lost
 * costs nothing: the next read starts after the last frame the client confirms.
 *
 * The byte total is what the slow-consumer policy watches, as the WebSocket transport watches
 * `bufferedAmount`.
 */
export class OutboundFrames {
  private frames: NumberedFrame[] = [];
  private nextSeq = 1;
  private bytes = 0;

  /** Numbers and keeps a frame; returns it. */
  push(frame: string | Uint8Array): NumberedFrame {
    const bytes =
      typeof frame === 'string'
        ? Buffer.from(frame)
        : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    const numbered = { seq: this.nextSeq++, bytes };
    this.frames.push(numbered);
    this.bytes += bytes.byteLength;
    return numbered;
  }

  /** Drops every frame up to and including `seq`; an ack beyond what was sent counts as the last. */
  ack(seq: number): void {
    let drop = 0;
    for (const frame of this.frames) {
      if (frame.seq > seq) break;
      this.bytes -= frame.bytes.byteLength;
      drop++;
    }
    if (drop > 0) this.frames = this.frames.slice(drop);
  }

  /** The unacknowledged frames after `seq`, oldest first. */
  after(seq: number): NumberedFrame[] {
    return this.frames.filter((f) => f.seq > seq);
  }

  /** The number of the last frame pushed (0 before any). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get bufferedBytes(): number {
    return this.bytes;
  }
}
