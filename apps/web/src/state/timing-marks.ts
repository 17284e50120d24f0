/**
 * User Timing marks for the join path (`performance.getEntriesByType('mark')`), so tests and
 * the benchmark can report join → first remote frame and its parts. Each is marked once per
 * join attempt.
 */
export type JoinMark =
  'join-clicked' | 'media-ready' | 'signaling-joined' | 'peer-connected' | 'first-remote-frame';

const marked = new Set<JoinMark>();

export function markJoin(name: JoinMark): void {
  if (marked.has(name)) return;
  marked.add(name);
  performance.mark(`parley:${name}`);
}

export function resetJoinMarks(): void {
  marked.clear();
  for (const name of [
    'join-clicked',
    'media-ready',
    'signaling-joined',
    'peer-connected',
    'first-remote-frame',
  ]) {
    performance.clearMarks(`parley:${name}`);
  }
}
