import { createRoomId, type IceServer } from '@parley/protocol';
import {
  DEFAULT_RELAY_PORTS,
  probeRelay,
  type IceError,
  type RelayProbeOutcome,
} from './relay-probe.ts';
import { SignalingClient, type SignalingClientOptions } from './signaling-client.ts';

/**
 * "Test my connection": can this browser reach the server's STUN and TURN services with the
 * credentials a participant would get, and does the relay actually carry data? Each check uses
 * one kind of server only and reports what came back, in words a non-expert can act on.
 */

export type CheckId = 'stun' | 'turn-udp' | 'turn-tcp';
export type CheckStatus = 'ok' | 'failed' | 'not-configured';
/** Why a check failed, for the page (and tests) to tell the cases apart without parsing text. */
export type FailureReason =
  | 'credentials-refused'
  | 'refused'
  | 'quota'
  | 'unreachable'
  | 'private-relay-address'
  | 'relay-ports-closed';

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  detail: string;
  reason?: FailureReason;
  /** Time to the answer that decided the check (STUN). */
  ms?: number;
  /** Median round trip of the messages sent through the relay (relay checks). */
  roundTripMs?: number;
}

/** Longest we wait for one check; an unreachable server would otherwise stall gathering. */
const GATHER_TIMEOUT_MS = 10_000;
const JOIN_TIMEOUT_MS = 10_000;

/**
 * Credentials are for room members only, so the test joins a fresh room of its own (nobody else
 * can guess it) just long enough to be given them, then leaves.
 */
export function fetchIceServersAsMember(
  options: Pick<SignalingClientOptions, 'url' | 'createSocket'>,
): Promise<IceServer[]> {
  const client = new SignalingClient({
    ...options,
    roomId: createRoomId(),
    displayName: 'Connection test',
  });
  return new Promise<IceServer[]>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new Error('the signalling server did not answer')));
      client.dispose();
    }, JOIN_TIMEOUT_MS);
    client.on('joined', (message) => {
      settle(() => resolve(message.iceServers));
      client.leave();
      client.dispose();
    });
    client.on('status', (status) => {
      if (status === 'closed')
        settle(() =>
          reject(new Error(`the signalling server refused the test (${client.closedReason})`)),
        );
    });
    client.start();
  });
}

/** Splits the servers into what each check uses. */
export function serversForChecks(servers: IceServer[]): Record<CheckId, RTCIceServer[]> {
  const result: Record<CheckId, RTCIceServer[]> = { stun: [], 'turn-udp': [], 'turn-tcp': [] };
  for (const server of servers) {
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    const pick = (keep: (url: string) => boolean, id: CheckId) => {
      const kept = urls.filter(keep);
      if (kept.length === 0) return;
      const entry: RTCIceServer = { urls: kept };
      if (server.username !== undefined) entry.username = server.username;
      if (server.credential !== undefined) entry.credential = server.credential;
      result[id].push(entry);
    };
    pick((u) => u.startsWith('stun:'), 'stun');
    pick((u) => u.startsWith('turn:') && !/transport=tcp/.test(u), 'turn-udp');
    pick(
      (u) => u.startsWith('turns:') || (u.startsWith('turn:') && /transport=tcp/.test(u)),
      'turn-tcp',
    );
  }
  return result;
}

interface Gathered {
  candidates: RTCIceCandidate[];
  errors: IceError[];
  ms: number;
  complete: boolean;
}

/** Gathers candidates against `iceServers` only, until gathering completes or times out. */
async function gather(
  iceServers: RTCIceServer[],
  policy: RTCIceTransportPolicy,
  stopEarly: (c: RTCIceCandidate) => boolean,
): Promise<Gathered> {
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: policy });
  const started = performance.now();
  const result: Gathered = { candidates: [], errors: [], ms: 0, complete: false };
  try {
    pc.createDataChannel('probe');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
      pc.onicecandidate = ({ candidate }) => {
        if (!candidate || !candidate.candidate) {
          result.complete = true;
          clearTimeout(timer);
          return resolve();
        }
        result.candidates.push(candidate);
        if (stopEarly(candidate)) {
          clearTimeout(timer);
          resolve();
        }
      };
      pc.onicecandidateerror = (event) => {
        const e = event as RTCPeerConnectionIceErrorEvent;
        result.errors.push({ code: e.errorCode, text: e.errorText });
      };
      void pc.createOffer().then((offer) => pc.setLocalDescription(offer));
    });
  } finally {
    result.ms = Math.round(performance.now() - started);
    pc.onicecandidate = pc.onicecandidateerror = null;
    pc.close();
  }
  return result;
}

export async function runCheck(id: CheckId, servers: RTCIceServer[]): Promise<CheckResult> {
  if (servers.length === 0) {
    return {
      id,
      status: 'not-configured',
      detail:
        id === 'stun'
          ? 'This server does not offer STUN.'
          : 'This server does not offer a relay of this kind.',
    };
  }
  if (id === 'stun') {
    const g = await gather(servers, 'all', (c) => c.type === 'srflx');
    const srflx = g.candidates.find((c) => c.type === 'srflx');
    if (srflx)
      return {
        id,
        status: 'ok',
        ms: g.ms,
        detail: `Reachable. The internet sees you as ${srflx.address ?? 'a public address'}.`,
      };
    // No reflexive candidate yet no error: the server answered with the address we already
    // have (the browser drops such duplicates), i.e. there is no NAT between us.
    if (g.complete && g.errors.length === 0)
      return {
        id,
        status: 'ok',
        ms: g.ms,
        detail: 'Reachable. Your address is not translated on the way (no NAT).',
      };
    return { id, status: 'failed', ms: g.ms, ...explainRefusal(g) };
  }
  return relayResult(id, await probeRelay({ iceServers: servers }));
}

/** Words for what the relay probe found; the reasons name what the admin should change. */
export function relayResult(id: CheckId, outcome: RelayProbeOutcome): CheckResult {
  switch (outcome.kind) {
    case 'relayed':
      return {
        id,
        status: 'ok',
        roundTripMs: outcome.roundTripMs,
        detail: `Data went through the relay (${outcome.relayAddress ?? 'relay address'}) and back: ${outcome.messages} messages, ${outcome.roundTripMs} ms round trip. Calls will connect even through strict firewalls.`,
      };
    case 'unusable-address':
      return {
        id,
        status: 'failed',
        reason: 'private-relay-address',
        detail: `The relay gives out ${SCOPE_WORDS[outcome.scope]} address (${outcome.relayAddress}), which nobody outside the server’s own network can reach. The admin probably needs to set TURN_EXTERNAL_IP to the server’s public IP address.`,
      };
    case 'no-data':
      return {
        id,
        status: 'failed',
        reason: 'relay-ports-closed',
        detail: `The relay gave an address (${outcome.relayAddress ?? 'unknown'}), but no data came through it within ${Math.round(outcome.waitedMs / 1000)} s. Its relay ports are probably closed by a firewall: the admin needs to open UDP ${DEFAULT_RELAY_PORTS} (coturn’s min-port to max-port) to the server. If they are open, check that TURN_EXTERNAL_IP is the server’s public IP address, and that this address is not in coturn’s deny list (TURN_ALLOWED_PEER_IP).`,
      };
    case 'no-relay':
      return {
        id,
        status: 'failed',
        ...explainRefusal({ errors: outcome.errors, complete: outcome.gatheringComplete }),
      };
  }
}

const SCOPE_WORDS = {
  private: 'a private',
  loopback: 'a loopback',
  'link-local': 'a link-local',
  unspecified: 'an unspecified',
} as const;

function explainRefusal(g: Pick<Gathered, 'errors' | 'complete'>): {
  reason: FailureReason;
  detail: string;
} {
  const codes = new Set(g.errors.map((e) => e.code));
  if (codes.has(401))
    return {
      reason: 'credentials-refused',
      detail: 'The relay refused the credentials (401). Ask the admin to check TURN_SECRET.',
    };
  if (codes.has(403)) return { reason: 'refused', detail: 'The relay refused the request (403).' };
  if (codes.has(486))
    return {
      reason: 'quota',
      detail: 'The relay is at its allocation quota (486). Try again later.',
    };
  return {
    reason: 'unreachable',
    detail:
      codes.has(701) || g.errors.length > 0 || !g.complete
        ? 'Unreachable: no answer. A firewall may block it, or the server is down.'
        : 'No answer from the server.',
  };
}

/** The sentence under the checks: what the results mean for calls from this network. */
export function summarize(results: Partial<Record<CheckId, CheckResult>>): string {
  const udp = results['turn-udp']?.status;
  const tcp = results['turn-tcp']?.status;
  if (udp === 'ok')
    return 'Calls should connect from this network, even when a direct connection is blocked.';
  if (tcp === 'ok')
    return udp === 'failed'
      ? 'Only the relay over TCP works. Calls will connect, but when they need the relay, sound and video will be worse than over UDP.'
      : 'Calls should connect from this network, even when a direct connection is blocked (the relay works over TCP).';
  const serverSide = [results['turn-udp'], results['turn-tcp']].some(
    (r) => r?.reason === 'private-relay-address' || r?.reason === 'relay-ports-closed',
  );
  if (serverSide)
    return 'The relay is not set up right, so calls that need it will not connect. Show this page to the server’s admin.';
  return 'Calls will work where a direct connection is possible; behind strict firewalls they may not connect.';
}

export async function runConnectionTest(
  url: string,
  onResult: (result: CheckResult) => void,
  /** How to reach the signalling server (the call's transport race, where WebSocket is blocked). */
  createSocket?: SignalingClientOptions['createSocket'],
): Promise<void> {
  const byCheck = serversForChecks(
    await fetchIceServersAsMember(createSocket ? { url, createSocket } : { url }),
  );
  for (const id of ['stun', 'turn-udp', 'turn-tcp'] as const)
    onResult(await runCheck(id, byCheck[id]));
}
