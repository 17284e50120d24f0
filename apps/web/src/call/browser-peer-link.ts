import { PeerLink, type PeerLinkOptions } from './peer-link.ts';
import { createSimplePeerTransport } from './simple-peer-transport.ts';

/**
 * A PeerLink over the browser's WebRTC (simple-peer). Its own module so that the app can load
 * it, and simple-peer with it, as a lazy chunk: the lobby does not need it on first load.
 */
export function createBrowserPeerLink(options: PeerLinkOptions): PeerLink {
  return new PeerLink(options, createSimplePeerTransport);
}
