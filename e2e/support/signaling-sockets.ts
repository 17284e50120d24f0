import type { BrowserContext, Page } from '@playwright/test';

/**
 * The signalling WebSockets a page opens, with when each opened and closed (page clock): for
 * checking the client's reconnect backoff and when it noticed an outage.
 */

export interface SocketTimes {
  /** When the page created the signalling WebSocket (page clock, ms). */
  opened: number;
  /** When its connection opened, if it did. */
  open?: number;
  /** When it reported its close (refused, dropped or replaced), if it has. */
  closed?: number;
}

/** Records each signalling WebSocket the page opens and when it closed, for backoff checks. */
export async function recordSignalingSockets(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const sockets: SocketTimes[] = [];
    (window as unknown as { __signalingSockets: SocketTimes[] }).__signalingSockets = sockets;
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        if (new URL(String(url)).pathname !== '/ws') return;
        const times: SocketTimes = { opened: performance.now() };
        sockets.push(times);
        this.addEventListener('open', () => (times.open = performance.now()));
        this.addEventListener('close', () => (times.closed = performance.now()));
      }
    };
  });
}

/** The page's own clock (performance.now()), the one SocketTimes are in. */
export function pageClock(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

/** What recordSignalingSockets has seen so far on `page`. */
export function signalingSockets(page: Page): Promise<SocketTimes[]> {
  return page.evaluate(
    () => (window as unknown as { __signalingSockets: SocketTimes[] }).__signalingSockets,
  );
}
