/**
 * The verification code (a short authentication string) for one pair of participants.
 *
 * DTLS-SRTP encrypts media and data end to end, keyed by each side's certificate, and each
 * side learns the other's certificate fingerprint from the SDP, which travels through the
 * signalling server. A server that swaps the fingerprints could sit in the middle. Both people
 * derive a code from the room ID and the two fingerprints their own browser actually uses; if
 * anyone is in the middle, the two sides see different fingerprints and so different codes.
 *
 * code = HKDF-SHA256(ikm = both fingerprints, sorted; salt = SAS_SALT; info = room ID), 42 bits
 * taken as 7 groups of 6 bits, each an index into SAS_EMOJI. Sorting makes the code the same
 * from both ends. 42 bits: an attacker who must guess a matching pair of certificates in the
 * moment has a 1 in 4.4·10¹² chance per attempt.
 */

export const SAS_EMOJI_COUNT = 7;
export const SAS_BITS = SAS_EMOJI_COUNT * 6;
const SAS_SALT = 'parley verification code v1';

/** "sha-256 AB:CD:…" in one spelling whatever its source (SDP, getStats, any case). */
export function normalizeFingerprint(algorithm: string, value: string): string {
  const hex = value.trim().toUpperCase();
  if (!/^[0-9A-F]{2}(:[0-9A-F]{2})+$/.test(hex)) throw new Error(`not a fingerprint: ${value}`);
  return `${algorithm.trim().toLowerCase()} ${hex}`;
}

/** The 7 emoji indexes (0-63) for this room and pair of normalised fingerprints. */
export async function deriveSas(
  roomId: string,
  fingerprintA: string,
  fingerprintB: string,
): Promise<number[]> {
  const encoder = new TextEncoder();
  const [low, high] = [fingerprintA, fingerprintB].sort();
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(`${low}\n${high}`),
    'HKDF',
    false,
    ['deriveBits'],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(SAS_SALT), info: encoder.encode(roomId) },
    key,
    48,
  );
  const bytes = new Uint8Array(bits);
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  // The first 42 of the 48 bits, most significant first, 6 at a time.
  const indexes: number[] = [];
  for (let i = 0; i < SAS_EMOJI_COUNT; i++)
    indexes.push(Number((value >> BigInt(48 - 6 * (i + 1))) & 63n));
  return indexes;
}
