import type { IceServer } from '@parley/protocol';
import type { Config } from '../config.ts';
import { mintTurnCredential } from './turn-credentials.ts';

/**
 * The ICE servers one admitted participant gets: the STUN URLs as they are, and the TURN URLs
 * with a credential minted for that participant. Called at join and again on every refresh,
 * so each call returns a credential valid for a full TTL from now.
 */
export function iceServersFromConfig(
  config: Pick<Config, 'stunUrls' | 'turn'>,
  now: () => number = Date.now,
): (peerId: string) => IceServer[] {
  return (peerId) => {
    const servers: IceServer[] = [];
    if (config.stunUrls.length > 0) servers.push({ urls: config.stunUrls });
    const turn = config.turn;
    if (turn) {
      // The peer ID is stable for the participant's whole stay (a resume keeps it), so
      // coturn's user-quota counts all of one participant's allocations together.
      const { username, credential } = mintTurnCredential(
        turn.secret,
        peerId,
        turn.ttlSeconds,
        now(),
      );
      servers.push({ urls: turn.urls, username, credential });
    }
    return servers;
  };
}
