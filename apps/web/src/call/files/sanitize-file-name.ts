/**
 * Makes a peer-supplied file name safe to show and to save: one path component, no control or
 * bidirectional-override characters (which can disguise `exe.txt` as `txt.exe`), no names
 * Windows reserves, bounded length. Never returns an empty string.
 */

// C0/C1 controls, and the bidi embedding/override/isolate marks (U+202A–202E, U+2066–2069, LRM/RLM, ALM).
const UNSAFE_CHARACTERS =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g;
const PATH_SEPARATORS = /[/\\]/g;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/g;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const MAX_LENGTH = 200;

export function sanitizeFileName(name: string): string {
  let safe = name.normalize('NFC').replace(UNSAFE_CHARACTERS, '');
  // Keep only the last path component: "../../etc/passwd" becomes "passwd".
  safe = safe.split(PATH_SEPARATORS).pop() ?? '';
  safe = safe.replace(WINDOWS_FORBIDDEN, '_').trim();
  // Leading dots hide files (or make "..") and trailing dots/spaces are dropped by Windows.
  safe = safe.replace(/^\.+/, '').replace(/[. ]+$/, '');
  if (WINDOWS_RESERVED.test(safe)) safe = `_${safe}`;
  if (safe.length > MAX_LENGTH) {
    const dot = safe.lastIndexOf('.');
    const extension = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : '';
    safe = safe.slice(0, MAX_LENGTH - extension.length) + extension;
  }
  return safe || 'file';
}
