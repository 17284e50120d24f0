import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface RoundTrips {
  sent: number;
  /** Round-trip times of the pings whose pong came back, in milliseconds. */
  rttMs: number[];
}

/**
 * A UDP ping-pong on 127.0.0.1: `count` numbered pings, `intervalMs` apart, each echoed by a
 * second socket. Pongs still missing `settleMs` after the last ping count as lost.
 */
export async function udpRoundTrips(
  count: number,
  intervalMs: number,
  settleMs: number,
): Promise<RoundTrips> {
  const echo = createSocket('udp4');
  const pinger = createSocket('udp4');
  echo.on('message', (message, from) => echo.send(message, from.port, from.address));
  await Promise.all(
    [echo, pinger].map(
      (socket) => new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve)),
    ),
  );
  const { port } = echo.address() as AddressInfo;
  const sentAt = new Map<number, number>();
  const rttMs: number[] = [];
  pinger.on('message', (message) => {
    const at = sentAt.get(message.readUInt32BE(0));
    if (at !== undefined) rttMs.push(performance.now() - at);
  });
  try {
    for (let seq = 0; seq < count; seq++) {
      const packet = Buffer.alloc(64);
      packet.writeUInt32BE(seq, 0);
      sentAt.set(seq, performance.now());
      pinger.send(packet, port, '127.0.0.1');
      // The pacing is the measurement's own schedule, not a wait for something to happen.
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return { sent: count, rttMs };
  } finally {
    echo.close();
    pinger.close();
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
