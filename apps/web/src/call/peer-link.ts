import type { SignalPayload } from '@parley/protocol';
import SimplePeer, {
  type SimplePeerOptions,
  type SimplePeerSignal,
} from '@thaunknown/simple-peer/lite.js';

export type PeerConnectionState = 'connecting' | 'connected' | 'failed';

/** What a PeerLink needs from a simple-peer instance; tests supply a fake. */
export interface PeerHandle {
  signal(data: SimplePeerSignal): void;
  destroy(): void;
  on(event: 'signal', listener: (data: SimplePeerSignal) => void): unknown;
  on(event: 'connect' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error & { code?: string }) => void): unknown;
  removeAllListeners(): unknown;
}

export type PeerFactory = (options: SimplePeerOptions) => PeerHandle;

export const createSimplePeer: PeerFactory = (options) => new SimplePeer(options);

export interface PeerLinkOptions {
  peerId: string;
  /** The impolite side initiates: in simple-peer only the initiator ever makes offers. */
  polite: boolean;
  iceServers: RTCIceServer[];
  sendSignal: (payload: SignalPayload) => void;
  onState: (state: PeerConnectionState) => void;
  createPeer?: PeerFactory;
}

/**
 * One remote participant's connection. simple-peer gives the polite/impolite split of perfect
 * negotiation by construction: only the initiator (the impolite side) creates offers and the
 * polite side asks it to renegotiate, so offers never collide; and it queues candidates that
 * arrive before the remote description.
 */
export class PeerLink {
  private readonly peer: PeerHandle;
  private state: PeerConnectionState = 'connecting';

  constructor(private readonly options: PeerLinkOptions) {
    this.peer = (options.createPeer ?? createSimplePeer)({
      initiator: !options.polite,
      trickle: true,
      channelName: 'parley',
      config: { iceServers: options.iceServers },
    });
    this.peer.on('signal', (data) => options.sendSignal(data as SignalPayload));
    this.peer.on('connect', () => this.setState('connected'));
    this.peer.on('error', () => this.setState('failed'));
    this.peer.on('close', () => this.setState('failed'));
  }

  get connectionState(): PeerConnectionState {
    return this.state;
  }

  signal(payload: SignalPayload): void {
    this.peer.signal(payload as SimplePeerSignal);
  }

  destroy(): void {
    this.peer.removeAllListeners();
    this.peer.destroy();
  }

  private setState(next: PeerConnectionState): void {
    if (this.state === next) return;
    this.state = next;
    this.options.onState(next);
  }
}
