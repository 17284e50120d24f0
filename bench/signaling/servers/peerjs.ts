import type { AddressInfo } from 'node:net';
import { PeerServer } from 'peer';

/**
 * The PeerJS server (the `peer` npm package), as its README starts it, on 127.0.0.1. Its
 * WebSocket server uses ws's defaults, where compression is already off. Only the concurrent
 * connection limit is raised (default 5,000), so the 5k idle-connection bench fits.
 */
export function startPeerJs(host: string): Promise<number> {
  return new Promise((resolve) => {
    PeerServer({ host, port: 0, path: '/', key: 'peerjs', concurrent_limit: 100_000 }, (server) =>
      resolve((server.address() as AddressInfo).port),
    );
  });
}
