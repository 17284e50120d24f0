/**
 * Wire-level limits shared by the client and the server. They live in the protocol package so
 * that the browser refuses to send what the server would refuse to relay.
 */

/** Bumped on any change that an older peer could not decode. */
export const PROTOCOL_VERSION = 2;

/**
 * The oldest protocol a server still seats. A deploy restarts the server under calls in
 * progress; their pages still speak the previous protocol and resume, and refusing them would end
 * every call at each upgrade. So a server accepts its own version and the one before, and a page
 * that learns from `joined.protocol` that the server is newer loads the new version between calls
 * (docs/protocol.md, "Versions"). A bump that changes a server message must keep what it sends to
 * a previous-version client decodable by that client.
 */
export const OLDEST_SUPPORTED_PROTOCOL = PROTOCOL_VERSION - 1;

/** Whether a server of this version seats a client that speaks `version`. */
export function isSupportedProtocol(version: unknown): boolean {
  return (
    typeof version === 'number' &&
    Number.isInteger(version) &&
    version >= OLDEST_SUPPORTED_PROTOCOL &&
    version <= PROTOCOL_VERSION
  );
}

/** Largest WebSocket frame the server accepts (OWASP suggests 64 KB or less). */
export const MAX_FRAME_BYTES = 64 * 1024;

/** An SDP with a dozen m-lines stays well under this; anything larger is abuse. */
export const MAX_SDP_LENGTH = 32 * 1024;

/** One candidate line is ~100 characters; this leaves room for long IPv6 / TURN foundations. */
export const MAX_CANDIDATE_LENGTH = 1024;

/**
 * Candidates one peer may send another between two descriptions. A multi-homed browser with
 * three TURN URLs gathers ~20; 64 leaves headroom while stopping a candidate flood.
 */
export const MAX_CANDIDATES_PER_NEGOTIATION = 64;

export const MAX_DISPLAY_NAME_LENGTH = 64;

/** Room and peer IDs: base64url, at least 22 characters = 132 bits of entropy. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

/** Names a `room-peek` answer lists at most (a lobby shows a few; rooms are small meshes). */
export const MAX_PEEK_NAMES = 32;
