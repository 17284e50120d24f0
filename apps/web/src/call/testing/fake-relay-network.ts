/**
 * Stand-ins for two RTCPeerConnections that reach each other through a TURN server, for the
 * relay probe's tests (Node has no WebRTC). A test says what the "server" does: allocate a relay
 * at some address (or refuse with an error code, or stay silent), and whether data gets through.
 * Everything happens in microtasks, so only the probe's own deadlines use timers.
 */

export interface RelayBehaviour {
  /** The relay address handed out; undefined: no relay is allocated. */
  relayAddress?: string;
  /** An ICE candidate error the caller sees instead (e.g. 401), then gathering ends. */
  errorCode?: number;
  /** Whether gathering ends (silent servers never let it end within the deadline). */
  gatheringEnds?: boolean;
  /** Whether data makes it through the relay. */
  dataFlows?: boolean;
}

type Handler<E> = ((event: E) => void) | null;

class FakeChannel {
  onopen: Handler<Event> = null;
  onmessage: Handler<{ data: unknown }> = null;
  onclose: Handler<Event> = null;
  far: FakeChannel | undefined;
  readonly sent: unknown[] = [];

  send(data: unknown): void {
    this.sent.push(data);
    const far = this.far;
    queueMicrotask(() => far?.onmessage?.({ data }));
  }
}

export class FakePeerConnection {
  onicecandidate: Handler<{ candidate: Partial<RTCIceCandidate> | null }> = null;
  onicecandidateerror: Handler<{ errorCode: number; errorText: string }> = null;
  ondatachannel: Handler<{ channel: FakeChannel }> = null;
  onconnectionstatechange: Handler<Event> = null;
  iceGatheringState: RTCIceGatheringState = 'new';
  connectionState: RTCPeerConnectionState = 'new';
  closed = false;
  readonly added: unknown[] = [];
  channel: FakeChannel | undefined;
  peer: FakePeerConnection | undefined;

  constructor(
    readonly configuration: RTCConfiguration,
    private readonly behaviour: RelayBehaviour,
  ) {}

  createDataChannel(): FakeChannel {
    this.channel = new FakeChannel();
    return this.channel;
  }

  createOffer = async () => ({ type: 'offer' as const, sdp: 'fake' });
  createAnswer = async () => ({ type: 'answer' as const, sdp: 'fake' });

  async setLocalDescription(): Promise<void> {
    queueMicrotask(() => this.gather());
  }

  async setRemoteDescription(description: { type: string }): Promise<void> {
    // The caller learning the answer is when a working relay would connect the two.
    if (description.type === 'answer') queueMicrotask(() => this.connect());
  }

  async addIceCandidate(candidate: unknown): Promise<void> {
    this.added.push(candidate);
  }

  close(): void {
    this.closed = true;
  }

  private gather(): void {
    const { relayAddress, errorCode, gatheringEnds = true } = this.behaviour;
    this.iceGatheringState = 'gathering';
    if (relayAddress !== undefined)
      this.onicecandidate?.({
        candidate: {
          candidate: `candidate:1 1 udp 1 ${relayAddress} 50000 typ relay`,
          type: 'relay',
          address: relayAddress,
        },
      });
    if (errorCode !== undefined)
      this.onicecandidateerror?.({ errorCode, errorText: `error ${errorCode}` });
    if (gatheringEnds) {
      this.iceGatheringState = 'complete';
      this.onicecandidate?.({ candidate: null });
    }
  }

  private connect(): void {
    const { relayAddress, dataFlows = false } = this.behaviour;
    if (relayAddress === undefined || !dataFlows || !this.channel || !this.peer) return;
    const far = new FakeChannel();
    far.far = this.channel;
    this.channel.far = far;
    this.peer.ondatachannel?.({ channel: far });
    this.connectionState = 'connected';
    this.channel.onopen?.(new Event('open'));
  }
}

/** A factory for the probe's `createPeerConnection` that pairs the two connections it makes. */
export function fakeRelayNetwork(behaviour: RelayBehaviour): {
  create: (configuration: RTCConfiguration) => RTCPeerConnection;
  made: FakePeerConnection[];
} {
  const made: FakePeerConnection[] = [];
  return {
    made,
    create: (configuration) => {
      const pc = new FakePeerConnection(configuration, behaviour);
      const first = made[0];
      if (first) {
        first.peer = pc;
        pc.peer = first;
      }
      made.push(pc);
      return pc as unknown as RTCPeerConnection;
    },
  };
}
