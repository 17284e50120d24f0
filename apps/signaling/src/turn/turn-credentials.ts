import { createHmac } from 'node:crypto';

/**
 * Time-limited TURN credentials in the "TURN REST API" scheme coturn checks with
 * `use-auth-secret`: the username carries its own expiry, the password is an HMAC of it under a
 * secret shared with coturn. Nothing is stored; coturn re-derives the password on Allocate.
 */
export interface TurnCredential {
  username: string;
  credential: string;
  /** Unix milliseconds after which coturn refuses new allocations with this credential. */
  expiresAt: number;
}

/**
 * `userId` should be stable for one participant, so coturn's `user-quota` counts all of that
 * participant's allocations together, whatever expiry they were minted with.
 */
export function mintTurnCredential(
  secret: string,
  userId: string,
  ttlSeconds: number,
  nowMs: number = Date.now(),
): TurnCredential {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${userId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt: expiry * 1000 };
}
