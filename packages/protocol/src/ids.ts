/**
 * Random identifiers. Room IDs are the only secret guarding a call, so they carry 128+ bits
 * from the platform CSPRNG (Web Crypto exists in browsers and in Node >= 19 as a global).
 */

const ID_BYTES = 16;

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 16 random bytes as 22 base64url characters. */
export function randomId(): string {
  return toBase64Url(globalThis.crypto.getRandomValues(new Uint8Array(ID_BYTES)));
}

export const createRoomId = randomId;
