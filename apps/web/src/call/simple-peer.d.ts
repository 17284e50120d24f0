// The fork ships no types; this declares the part of simple-peer's API that Parley uses.
declare module '@thaunknown/simple-peer' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    config?: RTCConfiguration;
    channelName?: string;
    channelConfig?: RTCDataChannelInit;
    offerOptions?: RTCOfferOptions;
    streams?: MediaStream[];
    objectMode?: boolean;
    iceCompleteTimeout?: number;
  }
  export interface SimplePeerSignal {
    type: string;
    [key: string]: unknown;
  }
  export default class SimplePeer {
    constructor(options?: SimplePeerOptions);
    readonly initiator: boolean;
    readonly connected: boolean;
    readonly destroyed: boolean;
    _pc: RTCPeerConnection;
    _channel: RTCDataChannel | null;
    _onIceStateChange(): void;
    _onConnectionStateChange(): void;
    signal(data: SimplePeerSignal): void;
    send(data: string | ArrayBufferView | ArrayBuffer | Blob): void;
    negotiate(): void;
    addTrack(track: MediaStreamTrack, stream: MediaStream): void;
    replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack, stream: MediaStream): void;
    removeTrack(track: MediaStreamTrack, stream: MediaStream): void;
    destroy(error?: Error): void;
    emit(event: string, ...args: unknown[]): boolean;
    on(event: 'signal', listener: (data: SimplePeerSignal) => void): this;
    on(event: 'connect' | 'close' | 'connectionFailed', listener: () => void): this;
    on(event: 'data', listener: (data: Uint8Array | string) => void): this;
    on(event: 'track', listener: (track: MediaStreamTrack, stream: MediaStream) => void): this;
    on(event: 'error', listener: (error: Error & { code?: string }) => void): this;
    on(
      event: 'iceStateChange',
      listener: (state: RTCIceConnectionState, gathering: RTCIceGatheringState) => void,
    ): this;
    removeAllListeners(): this;
  }
}
