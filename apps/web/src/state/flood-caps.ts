import type { TransferSnapshot } from '../call/files/transfer-types.ts';

/**
 * Caps on what peers can make the UI hold or do (issue 14: chat lines and file offers grew
 * without bound, and every offer popped the Files panel open).
 */

/** Chat lines kept; older ones are dropped. A long meeting's chat stays well under this. */
export const MAX_CHAT_LINES = 500;

/** Appends a line, dropping the oldest beyond `MAX_CHAT_LINES`. */
export function appendCapped<T>(lines: readonly T[], line: T, cap = MAX_CHAT_LINES): T[] {
  const next = lines.length >= cap ? lines.slice(lines.length - cap + 1) : lines.slice();
  next.push(line);
  return next;
}

/**
 * Whether a transfer update should open the Files panel: only a new incoming file, and only
 * when no other incoming offer is already waiting for an answer. The first offer of a burst
 * opens the panel once; if the user closes it while offers wait, further offers do not pull it
 * open again (the Files button still shows them). Once nothing waits, the next offer opens it.
 */
export function opensFilesPanel(
  transfers: Readonly<Record<string, TransferSnapshot>>,
  snapshot: TransferSnapshot,
): boolean {
  if (snapshot.direction !== 'in' || snapshot.id in transfers) return false;
  return !Object.values(transfers).some((t) => t.direction === 'in' && t.state === 'offered');
}
