import { unusableRelayAddress, type AddressScope } from './relay-address.ts';

/**
 * Proves a TURN server relays, not just that it allocates. Two peer connections in this page,
 * both relay-only and given only the server under test, connect to each other and echo a few
 * data-channel messages. With relay-only on both sides every packet leaves through one relay
 * port and comes back in through another, so the messages only arrive if the server hands out a
 * reachable relay address and its relay ports let traffic in.
 */

export interface IceError {
  code: number;
  text: string;
}

export type RelayProbeOutcome =
  /** Messages went out and came back through the relay. */
  | { kind: 'relayed'; relayAddress: string | null; roundTripMs: number; messages: number }
  /** The relay address cannot be reached from the internet (e.g. TURN_EXTERNAL_IP missing). */
  | { kind: 'unusable-address'; relayAddress: string; scope: Exclude<AddressScope, 'public'> }
  /** A relay was allocated but nothing came through it in time (closed relay ports). */
  | { kind: 'no-data'; relayAddress: string | null; waitedMs: number }
  /** No relay was allocated: refused (the errors say why) or no answer. */
  | { kind: 'no-relay'; errors: IceError[]; gatheringComplete: boolean };

export interface RelayProbeOptions {
  /** The one TURN server under test (its URLs of one transport), with credentials. */
  iceServers: RTCIceServer[];
  /** Seam for tests; the browser's RTCPeerConnection otherwise. */
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
  /** How long the server may take to allocate a relay. */
  allocationTimeoutMs?: number;
  /** How long messages may take to make it through, once a relay is allocated. */
  dataTimeoutMs?: number;
  /** Messages echoed one after another; the round trip reported is their median. */
  messages?: number;
}

export const ALLOCATION_TIMEOUT_MS = 10_000;
/**
 * A relayed data channel opens in well under a second on a working server; ten seconds leaves
 * room for a busy phone or a slow link without keeping anyone waiting long on a broken one.
 */
export const DATA_TIMEOUT_MS = 10_000;
const MESSAGES = 5;
/** coturn's default relay range, the one `infra/turn/turnserver.conf` ships. */
export const DEFAULT_RELAY_PORTS = '49152–65535';

export async function probeRelay(options: RelayProbeOptions): Promise<RelayProbeOutcome> {
  const create = options.createPeerConnection ?? ((c) => new RTCPeerConnection(c));
  const configuration: RTCConfiguration = {
    iceServers: options.iceServers,
    iceTransportPolicy: 'relay',
  };
  const caller = create(configuration);
  const answerer = create(configuration);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const within = <T>(ms: number, promise: Promise<T>, onTimeout: T): Promise<T> =>
    Promise.race([
      promise,
      new Promise<T>((resolve) => timers.add(setTimeout(() => resolve(onTimeout), ms))),
    ]);

  try {
    const errors: IceError[] = [];
    let onAllocated: (relay: { candidate?: RTCIceCandidate }) => void = () => {};
    const allocated = new Promise<{ candidate?: RTCIceCandidate }>(
      (resolve) => (onAllocated = resolve),
    );
    const releaseCallerCandidates = trickle(
      caller,
      answerer,
      (event) => {
        const candidate = event.candidate;
        // The end of gathering without a relay: the errors (if any) say why.
        if (!candidate || !candidate.candidate) onAllocated({});
        else if (candidate.type === 'relay') onAllocated({ candidate });
      },
      (event) => {
        const e = event as RTCPeerConnectionIceErrorEvent;
        errors.push({ code: e.errorCode, text: e.errorText });
      },
    );
    const releaseAnswererCandidates = trickle(answerer, caller);
    // A channel that closes before the last echo is "no data", like one that never opens.
    const echoed = echoThroughChannel(caller, answerer, options.messages ?? MESSAGES).catch(
      () => undefined,
    );

    const offer = await caller.createOffer();
    await caller.setLocalDescription(offer);
    await answerer.setRemoteDescription(offer);
    releaseCallerCandidates();
    const answer = await answerer.createAnswer();
    await answerer.setLocalDescription(answer);
    await caller.setRemoteDescription(answer);
    releaseAnswererCandidates();

    const allocationTimeout = options.allocationTimeoutMs ?? ALLOCATION_TIMEOUT_MS;
    const relay = await within(allocationTimeout, allocated, {});
    if (!relay.candidate)
      return {
        kind: 'no-relay',
        errors,
        gatheringComplete: caller.iceGatheringState === 'complete',
      };

    const relayAddress = relay.candidate.address;
    // The servers under test share one host (one check, one transport).
    const turnUrl = firstUrl(options.iceServers);
    const scope =
      relayAddress && turnUrl !== undefined
        ? unusableRelayAddress(relayAddress, turnUrl)
        : undefined;
    // Checked before any data: the two peers here reach each other through the server itself,
    // which works even on its private address, while callers elsewhere never could.
    if (relayAddress && scope) return { kind: 'unusable-address', relayAddress, scope };

    const dataTimeout = options.dataTimeoutMs ?? DATA_TIMEOUT_MS;
    const started = performance.now();
    const roundTrips = await within(
      dataTimeout,
      Promise.race([echoed, failedConnection(caller)]),
      undefined,
    );
    if (!roundTrips)
      return {
        kind: 'no-data',
        relayAddress,
        waitedMs: Math.round(performance.now() - started),
      };
    return {
      kind: 'relayed',
      relayAddress,
      roundTripMs: median(roundTrips),
      messages: roundTrips.length,
    };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    for (const pc of [caller, answerer]) {
      pc.onicecandidate = pc.onicecandidateerror = pc.ondatachannel = null;
      pc.onconnectionstatechange = null;
      pc.close();
    }
  }
}

/**
 * Passes `from`'s candidates to `to`, holding them until `to` has a remote description (adding
 * one before it throws). Returns the call that releases them.
 */
function trickle(
  from: RTCPeerConnection,
  to: RTCPeerConnection,
  onCandidate: (event: RTCPeerConnectionIceEvent) => void = () => {},
  onError: (event: Event) => void = () => {},
): () => void {
  let held: RTCIceCandidate[] | undefined = [];
  const add = (candidate: RTCIceCandidate) => void to.addIceCandidate(candidate).catch(() => {});
  from.onicecandidate = (event) => {
    onCandidate(event);
    const candidate = event.candidate;
    if (!candidate || !candidate.candidate) return;
    if (held) held.push(candidate);
    else add(candidate);
  };
  from.onicecandidateerror = onError;
  return () => {
    const waiting = held ?? [];
    held = undefined;
    waiting.forEach(add);
  };
}

/** Sends `count` numbered messages one after another; resolves with each round trip in ms. */
function echoThroughChannel(
  caller: RTCPeerConnection,
  answerer: RTCPeerConnection,
  count: number,
): Promise<number[]> {
  answerer.ondatachannel = ({ channel }) => {
    channel.onmessage = ({ data }) => channel.send(data as string);
  };
  const channel = caller.createDataChannel('relay-probe');
  return new Promise<number[]>((resolve, reject) => {
    const roundTrips: number[] = [];
    let sentAt = 0;
    const sendNext = () => {
      sentAt = performance.now();
      channel.send(`probe ${roundTrips.length}`);
    };
    channel.onopen = sendNext;
    channel.onmessage = ({ data }) => {
      if (data !== `probe ${roundTrips.length}`) return;
      roundTrips.push(performance.now() - sentAt);
      if (roundTrips.length >= count) resolve(roundTrips);
      else sendNext();
    };
    channel.onclose = () => reject(new Error('the channel closed'));
  });
}

/** Resolves (with nothing) if the browser gives up on the connection before the deadline. */
function failedConnection(pc: RTCPeerConnection): Promise<undefined> {
  return new Promise((resolve) => {
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') resolve(undefined);
    };
  });
}

function firstUrl(servers: RTCIceServer[]): string | undefined {
  const urls = servers[0]?.urls;
  return Array.isArray(urls) ? urls[0] : urls;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0);
}
