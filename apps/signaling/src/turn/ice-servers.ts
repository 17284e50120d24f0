import { createHmac } from 'node:crypto';
import type { IceServer } from '@parley/protocol';
import type { Config } from '../config.ts';
import { addressKey } from '../net/address-key.ts';
import { KeyedRateLimiter } from '../rate-limit.ts';
import { mintTurnCredential } from './turn-credentials.ts';

/** What one participant gets: its ICE servers, and whether TURN was withheld by the mint cap. */
export interface IceServerGrant {
  iceServers: IceServer[];
  /** True when this address used up its credentials for the hour: STUN only, no TURN. */
  relayRefused: boolean;
}

export type IceServersFor = (peerId: string, clientAddress: string) => IceServerGrant;

const SECONDS_PER_HOUR = 3600;

/**
 * The ICE servers one admitted participant gets: the STUN URLs as they are, and the TURN URLs
 * with a credential minted for its client address. Called at join and again on every refresh,
 * so each call returns a credential valid for a full TTL from now.
 *
 * The TURN user is bound to the address (an HMAC of the IPv4 address or the IPv6 /64), not to
 * the peer: every join mints a new peer ID, so a per-peer user let one address hold the whole
 * `total-quota` by joining rooms over and over. With a per-address user, coturn's `user-quota`
 * caps what one address can allocate, however many times it joins. The HMAC keeps addresses
 * out of coturn's logs and out of the credential other software might see.
 *
 * Minting itself is capped per address per hour (a token bucket that refills over the hour),
 * which bounds how many credentials one address can stockpile for use elsewhere.
 */
export function iceServersFromConfig(
  config: Pick<Config, 'stunUrls' | 'turn'>,
  now: () => number = Date.now,
): IceServersFor {
  const turn = config.turn;
  const mints = turn
    ? new KeyedRateLimiter(
        turn.mintsPerHourPerAddress,
        turn.mintsPerHourPerAddress / SECONDS_PER_HOUR,
      )
    : undefined;
  let minted = 0;
  return (_peerId, clientAddress) => {
    const iceServers: IceServer[] = [];
    if (config.stunUrls.length > 0) iceServers.push({ urls: config.stunUrls });
    if (!turn || !mints) return { iceServers, relayRefused: false };
    const key = addressKey(clientAddress);
    // Forget addresses whose allowance has refilled, so the map tracks only recent minters.
    if (++minted % 1024 === 0) mints.sweep();
    if (!mints.take(key)) return { iceServers, relayRefused: true };
    const { username, credential } = mintTurnCredential(
      turn.secret,
      turnUserFor(turn.secret, key),
      turn.ttlSeconds,
      now(),
    );
    iceServers.push({ urls: turn.urls, username, credential });
    return { iceServers, relayRefused: false };
  };
}

/**
 * The TURN user for an address key: 128 bits of HMAC-SHA256 under a key derived from the TURN
 * secret (a separate label, so this never doubles as a coturn password).
 */
export function turnUserFor(turnSecret: string, key: string): string {
  return createHmac('sha256', `parley-turn-user:${turnSecret}`)
    .update(key)
    .digest('base64url')
    .slice(0, 22);
}
