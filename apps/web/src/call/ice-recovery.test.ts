import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DISCONNECTED_GRACE_MS,
  MAX_TIMED_RETRIES,
  initialRecoveryState,
  reduce,
  restartTimeoutMs,
  type LinkPhase,
} from './ice-recovery.ts';
import { IceRecovery, type RecoveryTransport } from './ice-recovery-runner.ts';

/** Records what recovery asks of the transport, in order. */
class FakeTransport implements RecoveryTransport {
  destroyed = false;
  offerPending = false;
  readonly calls: string[] = [];
  restartIce(request: { askAgain: boolean; afterRejoin: boolean }): void {
    this.calls.push(
      `restart${request.askAgain ? ' ask-again' : ''}${request.afterRejoin ? ' after-rejoin' : ''}`,
    );
  }
  flagIceRestart(): void {
    this.calls.push('flag-restart');
  }
  hasPendingOffer(): boolean {
    return this.offerPending;
  }
  resendPendingOffer(): boolean {
    this.calls.push('resend-offer');
    return this.offerPending;
  }
  setIceServers(servers: RTCIceServer[]): void {
    this.calls.push(`servers ${servers.map((s) => s.credential).join(',')}`);
  }
}

let transport: FakeTransport;
let phases: LinkPhase[];
let restartCounts: number[];

function recovery(
  options: { initiator?: boolean; fresh?: () => Promise<RTCIceServer[]> } = {},
): IceRecovery {
  return new IceRecovery({
    initiator: options.initiator ?? true,
    transport,
    freshIceServers: options.fresh,
    onPhase: (phase) => phases.push(phase),
    onRestart: (count) => restartCounts.push(count),
  });
}

/** A link whose first connection is up: the data channel opened and ICE is connected. */
function connected(options: Parameters<typeof recovery>[0] = {}): IceRecovery {
  const r = recovery(options);
  r.dispatch({ type: 'channel-open' });
  r.dispatch({ type: 'ice', state: 'connected' });
  phases.length = 0;
  return r;
}

/** Lets the credential renewal (a promise) settle, moving fake time by `ms`. */
const advance = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
  transport = new FakeTransport();
  phases = [];
  restartCounts = [];
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ICE recovery', () => {
  it('waits out a short "disconnected" and restarts only if it lasts', async () => {
    const r = connected();
    r.dispatch({ type: 'ice', state: 'disconnected' });
    expect(phases).toEqual(['reconnecting']);
    await advance(DISCONNECTED_GRACE_MS - 1);
    expect(transport.calls).toEqual([]);
    await advance(1);
    expect(transport.calls).toEqual(['restart']);
    expect(restartCounts).toEqual([1]);
    r.dispatch({ type: 'ice', state: 'connected' });
    expect(phases).toEqual(['reconnecting', 'connected']);
  });

  it('does not restart a "disconnected" that heals within the grace period', async () => {
    const r = connected();
    r.dispatch({ type: 'ice', state: 'disconnected' });
    await advance(DISCONNECTED_GRACE_MS / 2);
    r.dispatch({ type: 'ice', state: 'connected' });
    await advance(DISCONNECTED_GRACE_MS * 10);
    expect(transport.calls).toEqual([]);
    expect(phases).toEqual(['reconnecting', 'connected']);
  });

  it('restarts at once on "failed"', async () => {
    const r = connected();
    r.dispatch({ type: 'ice', state: 'failed' });
    await advance();
    expect(transport.calls).toEqual(['restart']);
    expect(phases).toEqual(['reconnecting']);
  });

  it('renews the TURN credentials before restarting, and folds requests made meanwhile into it', async () => {
    let answer: (servers: RTCIceServer[]) => void = () => undefined;
    const fresh = () => new Promise<RTCIceServer[]>((resolve) => (answer = resolve));
    const r = connected({ initiator: false, fresh });
    r.dispatch({ type: 'ice', state: 'failed' });
    r.dispatch({ type: 'ice', state: 'failed' }); // ICE and a gathering change both report it
    r.dispatch({ type: 'signaling-restored', offerPending: false }); // a rejoin asks again
    await advance(5000);
    expect(transport.calls).toEqual([]); // nothing goes out on the old credentials
    answer([{ urls: 'turn:x', username: 'u', credential: 'second' }]);
    await advance();
    // One restart, with the new servers in place first, and the rejoin's stronger request.
    expect(transport.calls).toEqual(['servers second', 'restart ask-again after-rejoin']);
    expect(restartCounts).toEqual([1]);
  });

  it('tries a restart again when ICE is not back in time, waiting longer each time, then stops', async () => {
    const r = connected({ initiator: false });
    r.dispatch({ type: 'ice', state: 'failed' });
    await advance();
    expect(transport.calls).toEqual(['restart']);
    for (let retry = 0; retry < MAX_TIMED_RETRIES; retry++) {
      await advance(restartTimeoutMs(retry) - 1);
      expect(transport.calls).toHaveLength(1 + retry);
      await advance(1);
      // The polite side's earlier request may have been lost: it asks again.
      expect(transport.calls.at(-1)).toBe('restart ask-again');
    }
    expect(restartTimeoutMs(MAX_TIMED_RETRIES)).toBeGreaterThan(restartTimeoutMs(0));
    await advance(restartTimeoutMs(MAX_TIMED_RETRIES) * 10);
    expect(transport.calls).toHaveLength(1 + MAX_TIMED_RETRIES);
    // Timed retries stop, the link does not: ICE failing again still restarts it.
    r.dispatch({ type: 'ice', state: 'failed' });
    await advance();
    expect(transport.calls).toHaveLength(2 + MAX_TIMED_RETRIES);
    expect(phases).toEqual(['reconnecting']);
  });

  it('starts the retry count over once ICE is back', async () => {
    const r = connected({ initiator: false });
    r.dispatch({ type: 'ice', state: 'failed' });
    await advance(restartTimeoutMs(0));
    expect(transport.calls).toEqual(['restart', 'restart ask-again']);
    r.dispatch({ type: 'ice', state: 'connected' });
    await advance(restartTimeoutMs(1) * 2);
    expect(transport.calls).toHaveLength(2); // no retry once connected
    r.dispatch({ type: 'ice', state: 'failed' });
    await advance(restartTimeoutMs(0));
    expect(transport.calls).toHaveLength(4); // the first wait again, not the doubled one
  });

  it('has the initiator wait, not offer again, while its restart offer is unanswered', async () => {
    const r = connected({ initiator: true });
    r.dispatch({ type: 'ice', state: 'failed' });
    await advance();
    transport.offerPending = true;
    await advance(restartTimeoutMs(0) + restartTimeoutMs(1));
    expect(transport.calls).toEqual(['restart']);
    transport.offerPending = false; // answered, but ICE is still down
    await advance(restartTimeoutMs(2));
    expect(transport.calls).toEqual(['restart', 'restart ask-again']);
  });

  it('defers restarts while signalling is down and does them on the rejoin', async () => {
    const r = connected({ initiator: true });
    r.dispatch({ type: 'signaling-lost' });
    r.dispatch({ type: 'ice', state: 'disconnected' });
    await advance(DISCONNECTED_GRACE_MS);
    r.dispatch({ type: 'ice', state: 'failed' });
    await advance(restartTimeoutMs(0) * 4);
    expect(transport.calls).toEqual([]);
    expect(restartCounts).toEqual([]);
    r.dispatch({ type: 'signaling-restored', offerPending: false });
    await advance();
    // The rejoin's restart offer is marked: if the other side is still mid-resume it is lost,
    // and the other side's request must bring it again (stale-negotiation.ts).
    expect(transport.calls).toEqual(['restart ask-again after-rejoin']);
    expect(restartCounts).toEqual([1]);
  });

  it('on a rejoin, re-sends an unanswered offer instead of starting another', async () => {
    const r = connected({ initiator: true });
    r.dispatch({ type: 'ice', state: 'failed' });
    await advance();
    transport.offerPending = true; // the restart offer went into a socket that was dead
    r.dispatch({ type: 'signaling-lost' });
    r.dispatch({ type: 'signaling-restored', offerPending: true });
    expect(transport.calls).toEqual(['restart', 'resend-offer']);
  });

  it('leaves a healthy link alone on a rejoin, unless one of its sends failed', () => {
    const r = connected();
    r.dispatch({ type: 'signaling-restored', offerPending: true });
    expect(transport.calls).toEqual([]);
    r.dispatch({ type: 'signal-send-failed' });
    r.dispatch({ type: 'signaling-restored', offerPending: true });
    expect(transport.calls).toEqual(['resend-offer']);
    r.dispatch({ type: 'signaling-restored', offerPending: true });
    expect(transport.calls).toEqual(['resend-offer']); // once per loss
  });

  it('makes the next offer an ICE restart when asked to renegotiate while ICE is down', () => {
    const initiator = connected({ initiator: true });
    initiator.dispatch({ type: 'renegotiation-requested' }); // e.g. a screen share: ICE is fine
    expect(transport.calls).toEqual([]);
    initiator.dispatch({ type: 'ice', state: 'disconnected' });
    initiator.dispatch({ type: 'renegotiation-requested' });
    expect(transport.calls).toEqual(['flag-restart']);
    transport.calls.length = 0;
    const polite = connected({ initiator: false });
    polite.dispatch({ type: 'ice', state: 'disconnected' });
    polite.dispatch({ type: 'renegotiation-requested' });
    expect(transport.calls).toEqual([]); // only the initiator makes offers
  });

  it('gives a failing first connection one restart, then reports it unreachable', async () => {
    const r = recovery();
    r.dispatch({ type: 'ice', state: 'disconnected' }); // setup: not a reason to restart
    await advance(DISCONNECTED_GRACE_MS * 2);
    expect(transport.calls).toEqual([]);
    r.dispatch({ type: 'connection-failed' });
    r.dispatch({ type: 'ice', state: 'failed' }); // the same failure, reported twice
    await advance();
    expect(transport.calls).toEqual(['restart']);
    await advance(restartTimeoutMs(0) * 4);
    expect(transport.calls).toEqual(['restart']); // no timed retries during setup
    r.dispatch({ type: 'connection-failed' });
    expect(phases).toEqual(['unreachable']);
    expect(transport.calls).toEqual(['restart']);
    // A late success still counts.
    r.dispatch({ type: 'ice', state: 'connected' });
    expect(phases).toEqual(['unreachable', 'connected']);
  });

  it('stops for good when the transport closes: no restarts, no phase changes', async () => {
    const r = connected();
    r.dispatch({ type: 'ice', state: 'disconnected' });
    r.dispatch({ type: 'closed' });
    await advance(DISCONNECTED_GRACE_MS * 10);
    r.dispatch({ type: 'ice', state: 'failed' });
    r.dispatch({ type: 'channel-open' });
    expect(transport.calls).toEqual([]);
    expect(phases).toEqual(['reconnecting', 'failed']);
    expect(r.phase).toBe('failed');
  });

  it('does nothing after dispose, even for a restart already waiting on credentials', async () => {
    let answer: (servers: RTCIceServer[]) => void = () => undefined;
    const r = connected({ fresh: () => new Promise((resolve) => (answer = resolve)) });
    r.dispatch({ type: 'ice', state: 'failed' });
    r.dispatch({ type: 'ice', state: 'disconnected' });
    r.dispatch({ type: 'ice', state: 'failed' });
    r.dispose();
    answer([]);
    await advance(DISCONNECTED_GRACE_MS * 10);
    expect(transport.calls).toEqual([]);
  });

  it('is a pure reducer: the same state and event give the same result, the input untouched', () => {
    const before = { ...initialRecoveryState(true), phase: 'connected' as const };
    const snapshot = structuredClone(before);
    const first = reduce(before, { type: 'ice', state: 'failed' });
    const second = reduce(before, { type: 'ice', state: 'failed' });
    expect(first).toEqual(second);
    expect(before).toEqual(snapshot);
    expect(first.effects).toEqual([
      { type: 'cancel-timer', timer: 'disconnected-grace' },
      { type: 'phase', phase: 'reconnecting' },
      { type: 'restart-counted', count: 1 },
      { type: 'renew-credentials' },
    ]);
  });
});
