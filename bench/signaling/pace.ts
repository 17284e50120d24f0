/**
 * Calls `fire` at `ratePerSecond`, catching up every millisecond tick, for `durationMs`;
 * resolves with how many it fired. `fire` gets each call's index and the moment it was due
 * (performance.now()), so a caller can see how late the timer ran.
 */
export function pace(
  ratePerSecond: number,
  durationMs: number,
  fire: (index: number, dueAt: number) => void,
): Promise<number> {
  const start = performance.now();
  const total = Math.floor((durationMs * ratePerSecond) / 1000);
  let issued = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsed * ratePerSecond) / 1000));
      while (issued < due) {
        fire(issued, start + (issued * 1000) / ratePerSecond);
        issued++;
      }
      if (issued >= total) {
        clearInterval(timer);
        resolve(issued);
      }
    }, 1);
  });
}
