import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A resume token proves "I was peer P in room R" without the server storing anything, so it
 * still verifies after a restart as long as SIGNALING_SECRET is unchanged.
 */
export function signResumeToken(secret: string, roomId: string, peerId: string): string {
  return createHmac('sha256', secret).update(`${roomId}.${peerId}`).digest('base64url');
}

export function verifyResumeToken(
  secret: string,
  roomId: string,
  peerId: string,
  token: string,
): boolean {
  const expected = Buffer.from(signResumeToken(secret, roomId, peerId));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
