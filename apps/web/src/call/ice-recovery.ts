/**
 * How a link gets its connection back: a pure reducer. `reduce(state, event)` returns the next
 * state and the effects to run (`ice-recovery-runner.ts` runs them: timers, fresh TURN
 * credentials, the transport's restart). Each rule below was a fix for something seen:
 *
 * - ICE "disconnected" is often a blip that heals: restart only after DISCONNECTED_GRACE_MS.
 *   ICE "failed" restarts at once.
 * - A restart first renews the TURN credentials (coturn refuses an allocation with an expired
 *   one). Requests that arrive meanwhile join it; a stronger one (`askAgain`) is kept.
 * - A first connection that fails gets one restart; failing again it is `unreachable` instead of
 *   "connecting" forever (seen in the NAT lab with STUN only). ICE and the connection state may
 *   both report one failure, so a failure counts once per attempt.
 * - While signalling is known to be down, a restart that comes due waits for the rejoin: its
 *   offer or request would only go into a dead socket.
 * - On a signalling rejoin, anything sent meanwhile may be lost, even a send that "succeeded"
 *   into a socket that later proved dead (the 40 s outage): a link that is not healthy re-sends
 *   its unanswered offer, or restarts and asks again (the polite side's one request may have died
 *   with the old socket). A healthy link whose sends all succeeded is left alone.
 * - A renegotiation request that finds ICE down makes the initiator's next offer a restart. It
 *   uses the credentials in hand, without renewing: IceServerSource renews them at half-life,
 *   so they are stale only after signalling was down that long, and then the rejoin's own
 *   restart (below) renews first.
 * - A restart that has not brought ICE back in RESTART_TIMEOUT_MS is tried again, with the wait
 *   doubling, at most MAX_TIMED_RETRIES times; the initiator does not start a second offer while
 *   its last one is unanswered (a lost offer is re-sent on the rejoin instead).
 * - `closed` (the transport gave up) is final.
 */

export type LinkPhase =
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  /** Never connected: ICE failed even after a restart (e.g. strict NATs and no TURN relay). */
  | 'unreachable'
  | 'failed';

export type RecoveryTimer = 'disconnected-grace' | 'restart-timeout';

export interface RecoveryState {
  /** Only the initiator makes offers, so only it restarts ICE itself. */
  readonly initiator: boolean;
  phase: LinkPhase;
  /** The last ICE connection state reported. */
  ice: RTCIceConnectionState;
  signaling: 'up' | 'down';
  /** A send may have been lost: the next rejoin acts even on a connected link. */
  signalLost: boolean;
  /** Restarts started or requested so far (shown on the tile). */
  restarts: number;
  /** A restart is waiting for fresh credentials. */
  renewing: boolean;
  /** The pending restart must send the polite side's request even if one seems outstanding. */
  askAgain: boolean;
  /** The pending restart was started by a rejoin. */
  afterRejoin: boolean;
  /** A restart came due while signalling was down. */
  deferred: boolean;
  setupFailures: number;
  setupFailureSeen: boolean;
  /** Timed retries since ICE was last connected. */
  timedRetries: number;
}

export type RecoveryEvent =
  | { type: 'ice'; state: RTCIceConnectionState }
  /** The connection state reached "failed". */
  | { type: 'connection-failed' }
  /** The main data channel opened. */
  | { type: 'channel-open' }
  /** The transport is dead (error or close). */
  | { type: 'closed' }
  | { type: 'signal-send-failed' }
  | { type: 'signaling-lost' }
  | { type: 'signaling-restored'; offerPending: boolean }
  | { type: 'renegotiation-requested' }
  | { type: 'credentials-ready' }
  | { type: 'timer'; timer: RecoveryTimer; offerPending: boolean };

export type RecoveryEffect =
  | { type: 'phase'; phase: LinkPhase }
  | { type: 'start-timer'; timer: RecoveryTimer; ms: number }
  | { type: 'cancel-timer'; timer: RecoveryTimer }
  /** Fetch fresh ICE servers, apply them, then report `credentials-ready`. */
  | { type: 'renew-credentials' }
  | { type: 'restart-ice'; askAgain: boolean; afterRejoin: boolean }
  | { type: 'restart-counted'; count: number }
  | { type: 'resend-offer' }
  | { type: 'flag-ice-restart' };

/** How long ICE may stay "disconnected" (often a brief blip that heals) before we restart it. */
export const DISCONNECTED_GRACE_MS = 3000;
/** How long a restart may take to bring ICE back before it is tried again (then doubling). */
export const RESTART_TIMEOUT_MS = 10_000;
export const MAX_RESTART_TIMEOUT_MS = 60_000;
/** Timed retries per outage; ICE failures and rejoins still restart after that. */
export const MAX_TIMED_RETRIES = 6;

export function initialRecoveryState(initiator: boolean): RecoveryState {
  return {
    initiator,
    phase: 'connecting',
    ice: 'new',
    signaling: 'up',
    signalLost: false,
    restarts: 0,
    renewing: false,
    askAgain: false,
    afterRejoin: false,
    deferred: false,
    setupFailures: 0,
    setupFailureSeen: false,
    timedRetries: 0,
  };
}

/** The wait before timed retry `n` (0-based): RESTART_TIMEOUT_MS doubling, capped. */
export function restartTimeoutMs(retry: number): number {
  return Math.min(MAX_RESTART_TIMEOUT_MS, RESTART_TIMEOUT_MS * 2 ** retry);
}

type Result = { state: RecoveryState; effects: RecoveryEffect[] };

export function reduce(previous: RecoveryState, event: RecoveryEvent): Result {
  if (previous.phase === 'failed') return { state: previous, effects: [] };
  const state = { ...previous };
  const effects: RecoveryEffect[] = [];
  const setPhase = (phase: LinkPhase) => {
    if (state.phase === phase) return;
    state.phase = phase;
    effects.push({ type: 'phase', phase });
  };
  const restart = (request: { askAgain?: boolean; afterRejoin?: boolean } = {}) => {
    // A restart already under way takes the stronger request with it.
    state.askAgain ||= request.askAgain ?? false;
    state.afterRejoin ||= request.afterRejoin ?? false;
    if (state.renewing) return;
    if (state.signaling === 'down') {
      state.deferred = true;
      return;
    }
    state.renewing = true;
    state.setupFailureSeen = false;
    state.restarts += 1;
    effects.push({ type: 'restart-counted', count: state.restarts });
    effects.push({ type: 'renew-credentials' });
  };
  const setupFailure = () => {
    if (state.phase !== 'connecting' && state.phase !== 'unreachable') return;
    if (state.setupFailureSeen) return;
    state.setupFailureSeen = true;
    if (state.setupFailures++ === 0) restart();
    else setPhase('unreachable');
  };

  switch (event.type) {
    case 'ice': {
      state.ice = event.state;
      effects.push({ type: 'cancel-timer', timer: 'disconnected-grace' });
      if (event.state === 'connected' || event.state === 'completed') {
        state.timedRetries = 0;
        state.deferred = false;
        effects.push({ type: 'cancel-timer', timer: 'restart-timeout' });
        if (state.phase === 'reconnecting' || state.phase === 'unreachable') setPhase('connected');
        break;
      }
      if (state.phase === 'connecting' || state.phase === 'unreachable') {
        if (event.state === 'failed') setupFailure();
        break;
      }
      if (event.state === 'failed') {
        setPhase('reconnecting');
        restart();
      } else if (event.state === 'disconnected') {
        setPhase('reconnecting');
        effects.push({
          type: 'start-timer',
          timer: 'disconnected-grace',
          ms: DISCONNECTED_GRACE_MS,
        });
      }
      break;
    }
    case 'connection-failed':
      setupFailure();
      break;
    case 'channel-open':
      setPhase('connected');
      break;
    case 'closed':
      setPhase('failed');
      effects.push({ type: 'cancel-timer', timer: 'disconnected-grace' });
      effects.push({ type: 'cancel-timer', timer: 'restart-timeout' });
      break;
    case 'signal-send-failed':
      state.signalLost = true;
      break;
    case 'signaling-lost':
      state.signaling = 'down';
      break;
    case 'signaling-restored': {
      state.signaling = 'up';
      const deferred = state.deferred;
      state.deferred = false;
      if (!state.signalLost && !deferred && state.phase === 'connected') break;
      state.signalLost = false;
      if (event.offerPending) effects.push({ type: 'resend-offer' });
      else if (state.phase !== 'connected') restart({ askAgain: true, afterRejoin: true });
      break;
    }
    case 'renegotiation-requested':
      if (state.initiator && (state.ice === 'failed' || state.ice === 'disconnected'))
        effects.push({ type: 'flag-ice-restart' });
      break;
    case 'credentials-ready':
      if (!state.renewing) break;
      state.renewing = false;
      effects.push({
        type: 'restart-ice',
        askAgain: state.askAgain,
        afterRejoin: state.afterRejoin,
      });
      state.askAgain = false;
      state.afterRejoin = false;
      if (state.timedRetries < MAX_TIMED_RETRIES)
        effects.push({
          type: 'start-timer',
          timer: 'restart-timeout',
          ms: restartTimeoutMs(state.timedRetries),
        });
      break;
    case 'timer':
      if (event.timer === 'disconnected-grace') {
        restart();
        break;
      }
      // restart-timeout: only a link that is still down tries again.
      if (state.phase !== 'reconnecting' || state.timedRetries >= MAX_TIMED_RETRIES) break;
      state.timedRetries += 1;
      if (state.initiator && event.offerPending) {
        // Its offer is unanswered: a new one would only queue behind it.
        if (state.timedRetries < MAX_TIMED_RETRIES)
          effects.push({
            type: 'start-timer',
            timer: 'restart-timeout',
            ms: restartTimeoutMs(state.timedRetries),
          });
        break;
      }
      restart({ askAgain: true });
      break;
  }
  return { state, effects };
}
