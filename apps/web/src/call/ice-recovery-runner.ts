import {
  initialRecoveryState,
  reduce,
  type LinkPhase,
  type RecoveryEvent,
  type RecoveryState,
  type RecoveryTimer,
} from './ice-recovery.ts';
import type { PeerTransport } from './peer-transport.ts';

/** What recovery drives on the transport. */
export type RecoveryTransport = Pick<
  PeerTransport,
  | 'destroyed'
  | 'restartIce'
  | 'flagIceRestart'
  | 'hasPendingOffer'
  | 'resendPendingOffer'
  | 'setIceServers'
>;

export interface IceRecoveryOptions {
  initiator: boolean;
  transport: RecoveryTransport;
  /** New TURN credentials before an ICE restart (the old ones may have expired). */
  freshIceServers?: (() => Promise<RTCIceServer[]>) | undefined;
  onPhase(phase: LinkPhase): void;
  /** Each restart started (initiator) or requested (polite side), with the running count. */
  onRestart(count: number): void;
}

/**
 * Runs the recovery reducer (ice-recovery.ts) for one link: owns its timers and the wait for
 * fresh credentials, and carries the reducer's decisions out on the transport.
 */
export class IceRecovery {
  private state: RecoveryState;
  private readonly timers = new Map<RecoveryTimer, ReturnType<typeof setTimeout>>();
  private disposed = false;

  constructor(private readonly options: IceRecoveryOptions) {
    this.state = initialRecoveryState(options.initiator);
  }

  get phase(): LinkPhase {
    return this.state.phase;
  }

  dispatch(event: RecoveryEvent): void {
    if (this.disposed) return;
    const { state, effects } = reduce(this.state, event);
    this.state = state;
    const { transport } = this.options;
    for (const effect of effects) {
      switch (effect.type) {
        case 'phase':
          this.options.onPhase(effect.phase);
          break;
        case 'start-timer':
          this.cancel(effect.timer);
          this.timers.set(
            effect.timer,
            setTimeout(() => {
              this.timers.delete(effect.timer);
              this.dispatch({
                type: 'timer',
                timer: effect.timer,
                offerPending: transport.hasPendingOffer(),
              });
            }, effect.ms),
          );
          break;
        case 'cancel-timer':
          this.cancel(effect.timer);
          break;
        case 'restart-counted':
          this.options.onRestart(effect.count);
          break;
        case 'renew-credentials':
          void this.renewCredentials();
          break;
        case 'restart-ice':
          transport.restartIce({ askAgain: effect.askAgain, afterRejoin: effect.afterRejoin });
          break;
        case 'resend-offer':
          transport.resendPendingOffer();
          break;
        case 'flag-ice-restart':
          transport.flagIceRestart();
          break;
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers.keys()) this.cancel(timer);
  }

  /** coturn refuses an allocation with an expired credential: renew before restarting. */
  private async renewCredentials(): Promise<void> {
    const servers = await this.options.freshIceServers?.();
    if (this.disposed || this.options.transport.destroyed) return;
    if (servers) this.options.transport.setIceServers(servers);
    this.dispatch({ type: 'credentials-ready' });
  }

  private cancel(timer: RecoveryTimer): void {
    clearTimeout(this.timers.get(timer));
    this.timers.delete(timer);
  }
}
