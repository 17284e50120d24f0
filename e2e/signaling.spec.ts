import { expect, test, tile } from './fixtures.ts';

test('two browsers join by link and connect peer to peer through the signalling server', async ({
  browser,
  joinAs,
  parley,
}) => {
  const context = await browser.newContext();
  const landing = await context.newPage();
  await landing.goto(parley.url);
  await landing.getByRole('button', { name: 'New call' }).click();
  await expect(landing).toHaveURL(/\/r\/[A-Za-z0-9_-]{22}$/);
  const roomUrl = landing.url();
  await context.close();

  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');

  // "Connected" on a participant means simple-peer's data channel opened: an offer, an answer
  // and ICE candidates crossed the server in both directions.
  await expect(ada.page.getByRole('group', { name: 'Bob' })).toHaveAttribute(
    'data-connection',
    'connected',
  );
  await expect(bob.page.getByRole('group', { name: 'Ada' })).toHaveAttribute(
    'data-connection',
    'connected',
  );
  await expect(ada.page.getByRole('status')).toHaveText('Connected');

  // Leaving is seen by the other side.
  await bob.page.getByRole('button', { name: 'Leave' }).click();
  await expect(tile(ada.page, 'Bob')).toHaveCount(0);
  await expect(bob.page.getByRole('button', { name: 'Rejoin' })).toBeVisible();
});
