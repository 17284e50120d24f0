import type { Duplex } from 'node:stream';

/**
 * Holds a socket's writes until the end of the current turn of the event loop, so that every
 * frame sent to it meanwhile leaves in one `writev` system call instead of one each. `ws`
 * writes each frame as its own corked pair (header, payload); without this, the system call
 * per frame was the largest single cost of a relay. Frames for one socket often come in
 * bunches: a sender's candidates and descriptions read from the network in one chunk, or a
 * join's fan-out. Order is kept (it is one stream), and nothing waits for a later event: the
 * writes go out as soon as the code that made them has finished.
 */

const held: Duplex[] = [];
let releaseScheduled = false;

function release(): void {
  releaseScheduled = false;
  for (const socket of held) socket.uncork();
  held.length = 0;
}

/** Call before writing to `socket`: its writes from now to the end of this tick go out together. */
export function batchWritesThisTick(socket: Duplex): void {
  // Corked already means held already: `ws` releases its own cork before returning from send.
  if (socket.writableCorked > 0) return;
  socket.cork();
  held.push(socket);
  if (!releaseScheduled) {
    releaseScheduled = true;
    process.nextTick(release);
  }
}
