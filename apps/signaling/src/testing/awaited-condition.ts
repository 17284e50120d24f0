/**
 * Promises that settle once a condition over growing test state holds: a test recorder calls
 * `recheck()` whenever it records something, and `until()` resolves with the first truthy
 * value. The condition is checked at once too, so a past event counts as well as a future one.
 */
export class AwaitedCondition {
  private readonly waiters = new Set<() => void>();

  /** Re-evaluates every pending condition; call after each recorded event. */
  recheck(): void {
    for (const check of [...this.waiters]) check();
  }

  until<T>(done: () => T | undefined | false): Promise<T> {
    return new Promise((resolve) => {
      const check = () => {
        const value = done();
        if (value === undefined || value === false) return;
        this.waiters.delete(check);
        resolve(value);
      };
      this.waiters.add(check);
      check();
    });
  }
}
