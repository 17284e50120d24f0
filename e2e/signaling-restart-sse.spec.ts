import { createRoomId } from '@parley/protocol';
import type { Page } from '@playwright/test';
import {
  expect,
  expectVideoPlaying,
  ParleyProcess,
  test,
  tile,
  type Participant,
} from './fixtures.ts';
import { startWebSocketBlockingProxy } from './support/websocket-blocking-proxy.ts';

/**
 * Issue 16: a signalling restart mid-call over SSE. Behind a proxy that refuses WebSocket (and
 * long-polling, so SSE is the only way), two Chromiums are in a call over HTTP streaming when
 * the signalling server restarts. Media keeps playing peer to peer throughout, both resume as the same participants (neither sees the
 * other leave or join), and signalling works afterwards: a screen share, which renegotiates
 * through the server, reaches the other side.
 */

/** The tile of `name` on `page`, its element and its video's stream, tagged to be found again. */
async function tagTile(page: Page, name: string): Promise<void> {
  await tile(page, name).evaluate((el) => {
    const stream = el.querySelector('video')?.srcObject as (MediaStream & { __tag?: true }) | null;
    if (!stream) throw new Error('no stream on the tile');
    (el as HTMLElement & { __tag?: true }).__tag = true;
    stream.__tag = true;
  });
}

/** Whether the tile (and its stream) are the ones tagged: never unmounted, never replaced. */
function sameTile(page: Page, name: string): Promise<{ element: boolean; stream: boolean }> {
  return tile(page, name).evaluate((el) => ({
    element: (el as HTMLElement & { __tag?: true }).__tag === true,
    stream:
      (el.querySelector('video')?.srcObject as (MediaStream & { __tag?: true }) | null)?.__tag ===
      true,
  }));
}

/** Records every "… joined" or "… left" announcement the page shows from now on. */
async function watchPresence(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __presence: string[] }).__presence = seen;
    new MutationObserver((records) => {
      for (const record of records)
        for (const node of Array.from(record.addedNodes)) {
          const text = node.textContent ?? '';
          if (/\b(Ada|Bob) (joined|left)\b/.test(text)) seen.push(text);
        }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
}

/** Records every change of the header's signalling status, with the time it happened. */
async function recordStatus(page: Page): Promise<void> {
  await page.evaluate(() => {
    const log: { at: number; text: string }[] = [];
    (window as unknown as { __statusLog: typeof log }).__statusLog = log;
    const status = document.querySelector('.signaling-status');
    if (!status) throw new Error('no signalling status on the page');
    const note = () => {
      const text = `${status.textContent ?? ''} (${status.getAttribute('data-status') ?? '?'})`;
      if (log.at(-1)?.text !== text) log.push({ at: Date.now(), text });
    };
    note();
    new MutationObserver(note).observe(status, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
  });
}

/**
 * A deadline for a stuck status, not a measure: a link that dies silently is found by the
 * client's liveness check (no frame for 25 s, checked every 10 s), and the next try can then
 * be a full backoff step (10 s) away. The default 30 s would fail a client doing exactly that.
 */
const STATUS_DEADLINE_MS = 60_000;

/**
 * Waits for both pages' status to read `text`. When one does not, the error's first line (all a
 * CI summary shows) gives each page's status history, timed from `since`.
 */
async function expectStatus(
  pages: Record<string, Page>,
  text: string,
  since: number,
): Promise<void> {
  try {
    await Promise.all(
      Object.values(pages).map((page) =>
        expect(page.getByRole('status')).toHaveText(text, { timeout: STATUS_DEADLINE_MS }),
      ),
    );
  } catch (error) {
    const histories = await Promise.all(
      Object.entries(pages).map(async ([name, page]) => {
        const log = await page.evaluate(
          () => (window as unknown as { __statusLog: { at: number; text: string }[] }).__statusLog,
        );
        const steps = log.map((step) => `${((step.at - since) / 1000).toFixed(1)} s ${step.text}`);
        return `${name}: ${steps.join(' → ')}`;
      }),
    );
    throw new Error(
      `status never read "${text}" on both pages (${histories.join('; ')}; times from the server's stop)`,
      { cause: error },
    );
  }
}

function presenceSeen(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __presence: string[] }).__presence);
}

async function transportShown(p: Participant, other: string): Promise<string | null> {
  const button = tile(p.page, other).getByTestId('connection-stats');
  // A key press, not a click: the self-view may overlap the button at this window size.
  await button.press('Enter');
  const text = await p.page.getByTestId('signaling-transport').textContent();
  await button.press('Escape');
  return text;
}

test('signalling restarts mid-call over SSE: media keeps playing, the session resumes, signalling works after', async ({
  joinAs,
}) => {
  // A deadline for a stuck test only: two Chromiums with live video on a loaded 2-core machine.
  test.setTimeout(360_000);
  const server = new ParleyProcess({ RESUME_GRACE_MS: '30000' });
  await server.start();
  // Long-polling refused too: a loaded machine slow to start a stream must not move the call
  // off SSE (the client then retries SSE, which is what this test is about).
  const proxy = await startWebSocketBlockingProxy(server.url, {
    websocket: 'refuse',
    refuseLongPolling: true,
  });
  try {
    const roomUrl = `${proxy.url}/r/${createRoomId()}`;
    const ada = await joinAs(roomUrl, 'Ada');
    const bob = await joinAs(roomUrl, 'Bob');
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expectVideoPlaying(tile(bob.page, 'Ada'));
    for (const [p, other] of [
      [ada, 'Bob'],
      [bob, 'Ada'],
    ] as const) {
      expect(await transportShown(p, other)).toBe('HTTP streaming (SSE)');
      await tagTile(p.page, other);
      await watchPresence(p.page);
      await recordStatus(p.page);
    }
    const pages = { Ada: ada.page, Bob: bob.page };

    const stoppedAt = Date.now();
    await server.stop('SIGTERM');
    await expectStatus(pages, 'Reconnecting…', stoppedAt);
    // Peer-to-peer media does not need the server: frames advance on both sides while it is away.
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expectVideoPlaying(tile(bob.page, 'Ada'));

    await server.start(); // same port and secret: the sessions resume
    await expectStatus(pages, 'Connected', stoppedAt);
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expectVideoPlaying(tile(bob.page, 'Ada'));

    // The same participants: neither tile was ever removed or given a new stream, and nobody
    // was announced as leaving or joining.
    for (const [p, other] of [
      [ada, 'Bob'],
      [bob, 'Ada'],
    ] as const) {
      expect(await sameTile(p.page, other)).toEqual({ element: true, stream: true });
      await expect(p.page.getByRole('group')).toHaveCount(2);
      expect(await transportShown(p, other)).toBe('HTTP streaming (SSE)');
    }

    // Signalling works after: a screen share renegotiates through the server.
    await ada.page.getByRole('button', { name: 'Share screen' }).click();
    await expectVideoPlaying(tile(bob.page, 'Screen shared by Ada'));
    await expectVideoPlaying(tile(bob.page, 'Ada'));
    expect(await presenceSeen(ada.page)).toEqual([]);
    expect(await presenceSeen(bob.page)).toEqual([]);
  } finally {
    await proxy.close();
    await server.stop();
  }
});
