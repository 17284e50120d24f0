/**
 * Runs one connection's tasks strictly in the order their frames arrived, without paying for a
 * promise chain when nothing is waiting. Most frames (relays, pings, errors) are handled
 * synchronously; only a task that awaits the room store (a join, a leave) makes later ones
 * wait, and only until it settles. The relay hot path used to allocate two promises and a
 * closure per frame to keep an order that was almost never at risk.
 */
export class ArrivalOrder {
  /** Settles when every task handed over so far has finished; undefined when none is pending. */
  private pending: Promise<void> | undefined;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** True when no earlier task is still running, so a new one may run right now. */
  get idle(): boolean {
    return this.pending === undefined;
  }

  /** Runs `task` after every earlier one: at once when idle, else once they have settled. */
  run(task: () => void | Promise<void>): void {
    if (this.pending) return this.follow(this.pending.then(task));
    let outcome: void | Promise<void>;
    try {
      outcome = task();
    } catch (error) {
      return this.onError(error);
    }
    if (outcome) this.follow(outcome);
  }

  private follow(outcome: Promise<void>): void {
    const tail: Promise<void> = outcome.catch(this.onError).then(() => {
      if (this.pending === tail) this.pending = undefined;
    });
    this.pending = tail;
  }
}
