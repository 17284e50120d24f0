import { MAX_DISPLAY_NAME_LENGTH } from './limits.ts';

/**
 * Display-name rules, shared by the browser (which cleans what it sends and shows) and the
 * server (which enforces them and tells duplicates apart). A name is untrusted text rendered
 * next to video and in chat, so it must not be able to reorder the text around it (bidi
 * overrides), hide characters (zero-width, controls), or pass for someone else ("You", another
 * participant's name).
 */

/** Shown for the local participant; nobody else may appear under it. */
export const RESERVED_DISPLAY_NAMES: readonly string[] = ['You'];

/** A UTF-16 surrogate without its partner: not a character, and invalid in UTF-8. */
const LONE_SURROGATE = /\p{Cs}/u;
/**
 * Controls (Cc) and format characters (Cf: bidi overrides and isolates, zero-width spaces and
 * joiners, soft hyphens, BOM, tag characters). A zero-width joiner between two pictographs is
 * kept: it is how emoji such as 👩‍💻 are spelled, and it cannot reorder or hide text.
 */
const CONTROL_OR_FORMAT =
  /(?<!\p{Extended_Pictographic}\uFE0F?)\u200D|\u200D(?!\p{Extended_Pictographic})|(?!\u200D)[\p{Cc}\p{Cf}]/gu;
const WHITESPACE_RUN = /\s+/gu;

export type DisplayNameCheck = { ok: true; name: string } | { ok: false; reason: string };

/**
 * The name as it will be shown: NFC-normalised, controls and format characters removed,
 * whitespace collapsed and trimmed. Refuses lone surrogates and names that end up empty or
 * longer than MAX_DISPLAY_NAME_LENGTH.
 */
export function cleanDisplayName(raw: string): DisplayNameCheck {
  if (LONE_SURROGATE.test(raw)) return { ok: false, reason: 'contains an invalid character' };
  const name = raw
    .normalize('NFC')
    .replace(CONTROL_OR_FORMAT, '')
    .replace(WHITESPACE_RUN, ' ')
    .trim();
  if (name.length === 0) return { ok: false, reason: 'must not be empty' };
  if (name.length > MAX_DISPLAY_NAME_LENGTH)
    return { ok: false, reason: `must be at most ${MAX_DISPLAY_NAME_LENGTH} characters` };
  return { ok: true, name };
}

const fold = (name: string) => name.normalize('NFKC').toLocaleLowerCase('en');

/**
 * `name`, or `name (2)`, `name (3)`... so that it differs from every name in `taken` and from
 * the reserved ones, ignoring case and compatibility forms ("ＳＡＭ" is "sam").
 */
export function distinctDisplayName(name: string, taken: Iterable<string>): string {
  const used = new Set([...taken, ...RESERVED_DISPLAY_NAMES].map(fold));
  if (!used.has(fold(name))) return name;
  for (let n = 2; ; n++) {
    const suffix = ` (${n})`;
    const candidate = name.slice(0, MAX_DISPLAY_NAME_LENGTH - suffix.length) + suffix;
    if (!used.has(fold(candidate))) return candidate;
  }
}
