import { randomId } from '@parley/protocol';

/** Hex digits of the millisecond clock at the front of a peer ID: enough until the year 10889. */
const TIME_DIGITS = 12;

/**
 * A new participant's ID: the join time in fixed-width hex, then 128 random bits (base64url).
 *
 * The time prefix makes IDs sort in join order, and the polite rule (the smaller ID is polite,
 * see `isPolite`) then makes every newcomer the impolite side, the offerer, towards everyone
 * already in the room: its offers leave the moment `joined` arrives, instead of each member first
 * hearing `peer-joined` and then offering. Roles stay a pure function of the two IDs, so they
 * still survive a server restart; a clock that jumps back only makes some pair negotiate the
 * slower way round, never both sides or neither. The random part keeps the ID unguessable.
 * The prefix is hex because hex digits sort in code-unit order (0-9 < a-f); base64url does not.
 */
export function newPeerId(now: number = Date.now()): string {
  // Strictly increasing within this process, so two joins in the same millisecond still sort in
  // the order the server admitted them.
  lastTime = Math.max(Math.floor(now), lastTime + 1);
  return `${lastTime.toString(16).padStart(TIME_DIGITS, '0').slice(-TIME_DIGITS)}${randomId()}`;
}

let lastTime = 0;
