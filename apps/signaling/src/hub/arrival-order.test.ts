import { describe, expect, it } from 'vitest';
import { ArrivalOrder } from './arrival-order.ts';

/** A promise with its resolve and reject, to settle a task exactly when the test says so. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('ArrivalOrder', () => {
  it('runs a task at once while nothing is pending', () => {
    const order = new ArrivalOrder(() => {});
    const ran: number[] = [];
    order.run(() => void ran.push(1));
    order.run(() => void ran.push(2));
    expect(ran).toEqual([1, 2]);
    expect(order.idle).toBe(true);
  });

  it('holds later tasks behind one that returned a promise, in order, then runs at once again', async () => {
    const order = new ArrivalOrder(() => {});
    const ran: string[] = [];
    const store = deferred();
    order.run(() => {
      ran.push('join starts');
      return store.promise.then(() => void ran.push('join ends'));
    });
    order.run(() => void ran.push('signal'));
    order.run(() => void ran.push('ping'));
    expect(ran).toEqual(['join starts']);
    expect(order.idle).toBe(false);

    store.resolve();
    const drained = deferred();
    order.run(() => drained.resolve());
    await drained.promise;
    expect(ran).toEqual(['join starts', 'join ends', 'signal', 'ping']);

    // Once the chain has settled (a few microtask turns later), it is idle and synchronous again.
    for (let turn = 0; turn < 10 && !order.idle; turn++) await Promise.resolve();
    expect(order.idle).toBe(true);
    order.run(() => void ran.push('next'));
    expect(ran.at(-1)).toBe('next');
  });

  it('reports a failing task, synchronous or not, and goes on with the next ones', async () => {
    const errors: unknown[] = [];
    const order = new ArrivalOrder((error) => errors.push(error));
    const ran: string[] = [];
    order.run(() => {
      throw new Error('sync');
    });
    order.run(() => Promise.reject(new Error('async')));
    order.run(() => void ran.push('still runs'));
    const drained = deferred();
    order.run(() => drained.resolve());
    await drained.promise;
    expect(errors.map((e) => (e as Error).message)).toEqual(['sync', 'async']);
    expect(ran).toEqual(['still runs']);
  });
});
