// The fork ships no types; this declares the part of simple-peer's API that Parley uses.
declare module '@thaunknown/simple-peer/lite.js' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    config?: RTCConfiguration;
    channelName?: string;
    channelConfig?: RTCDataChannelInit;
    iceCompleteTimeout?: number;
  }
  export interface SimplePeerSignal {
    type: string;
    [key: string]: unknown;
  }
  export default class SimplePeer {
    constructor(options?: SimplePeerOptions);
    readonly connected: boolean;
    readonly destroyed: boolean;
    _pc: RTCPeerConnection;
    _channel: RTCDataChannel | null;
    signal(data: SimplePeerSignal): void;
    send(data: string | ArrayBufferView | ArrayBuffer | Blob): void;
    destroy(error?: Error): void;
    on(event: 'signal', listener: (data: SimplePeerSignal) => void): this;
    on(event: 'connect' | 'close', listener: () => void): this;
    on(event: 'data', listener: (data: Uint8Array | string) => void): this;
    on(event: 'error', listener: (error: Error & { code?: string }) => void): this;
    on(
      event: 'iceStateChange',
      listener: (state: RTCIceConnectionState, gathering: RTCIceGatheringState) => void,
    ): this;
    removeAllListeners(): this;
  }
}
