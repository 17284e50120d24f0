import { createRoomId } from '@parley/protocol';
import { expect, expectVideoPlaying, joinToFirstFrameMs, test, tile } from './fixtures.ts';
import { startWebSocketBlockingProxy } from './support/websocket-blocking-proxy.ts';

/**
 * Networks that break WebSocket (issue 16), through a small proxy in front of the app: the
 * call still starts, over the HTTP signalling transports, and the connection details say which.
 */

const cases = [
  // The same-run baseline: the same proxy, with WebSocket let through.
  { name: 'lets WebSocket through', websocket: 'pass', transport: 'WebSocket' },
  // SSE is the one expected here, but a machine loaded enough to hold its first bytes past the
  // starvation timeout falls to long-polling, which is right too: either HTTP transport passes.
  { name: 'refuses WebSocket upgrades', websocket: 'refuse', transport: /^HTTP / },
  {
    name: 'accepts the upgrade and then black-holes the socket',
    websocket: 'black-hole',
    transport: /^HTTP /,
  },
  {
    name: 'refuses WebSocket and holds every response until it completes',
    websocket: 'refuse',
    bufferResponses: true,
    transport: 'HTTP long-polling',
  },
] as const;

for (const c of cases) {
  test(`a proxy that ${c.name}: two Chromiums join by link, see each other's video and chat`, async ({
    joinAs,
    parley,
  }) => {
    test.setTimeout(180_000);
    const proxy = await startWebSocketBlockingProxy(parley.url, {
      websocket: c.websocket,
      bufferResponses: 'bufferResponses' in c && c.bufferResponses,
    });
    try {
      const roomUrl = `${proxy.url}/r/${createRoomId()}`;
      const ada = await joinAs(roomUrl, 'Ada');
      const bob = await joinAs(roomUrl, 'Bob');
      // Two Chromiums on a shared 2-core machine can take a while; how long is printed, not judged.
      await expect.poll(() => joinToFirstFrameMs(bob.page), { timeout: 60_000 }).toBeGreaterThan(0);
      const joinedMs = await bob.page.evaluate(() => {
        const at = (name: string) => performance.getEntriesByName(`parley:${name}`)[0]?.startTime;
        return Math.round((at('signaling-joined') ?? NaN) - (at('join-clicked') ?? NaN));
      });
      console.log(
        `proxy that ${c.name}: join → signalling joined ${joinedMs} ms, → first remote frame ${await joinToFirstFrameMs(bob.page)} ms`,
      );
      await expectVideoPlaying(tile(ada.page, 'Bob'));
      await expectVideoPlaying(tile(bob.page, 'Ada'));

      // The connection details name the signalling transport in use.
      // A key press, not a click: the self-view may overlap the button at this window size.
      await tile(ada.page, 'Bob').getByTestId('connection-stats').press('Enter');
      const transport = ada.page.getByTestId('signaling-transport');
      await expect(transport).toHaveText(c.transport);
      console.log(`proxy that ${c.name}: signalling over ${await transport.textContent()}`);

      await ada.page.getByRole('button', { name: 'Chat' }).click();
      await ada.page.getByLabel('Message', { exact: true }).fill('through the proxy');
      await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
      await bob.page.getByRole('button', { name: /^Chat/ }).click();
      await expect(bob.page.getByRole('log').locator('.chat-text')).toHaveText([
        'through the proxy',
      ]);
    } finally {
      await proxy.close();
    }
  });
}
