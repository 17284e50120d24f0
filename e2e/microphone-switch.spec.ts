import type { BrowserContext, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { expect, expectAudioFlowing, test, tile } from './fixtures.ts';

/**
 * README: the pickers switch devices, microphones included. The fake-device flag in
 * playwright.config.ts gives three fake microphones. Switching one mid-call must put the chosen
 * device's track on every peer connection's audio sender (the only place that decides what the
 * others hear), stop the old one, and keep sound reaching the far side without a reconnect.
 */

interface SentAudio {
  deviceId: string | undefined;
  label: string;
  readyState: MediaStreamTrackState;
}

/** Keeps every RTCPeerConnection the page uses, so the test can read its senders. */
async function recordPeerConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const connections = new Set<RTCPeerConnection>();
    (window as unknown as { __peerConnections: Set<RTCPeerConnection> }).__peerConnections =
      connections;
    const setLocal = RTCPeerConnection.prototype.setLocalDescription;
    RTCPeerConnection.prototype.setLocalDescription = function (
      this: RTCPeerConnection,
      ...args: Parameters<typeof setLocal>
    ) {
      connections.add(this);
      return setLocal.apply(this, args);
    } as typeof setLocal;
  });
}

/** The audio track each open peer connection sends. */
function sentAudio(page: Page): Promise<SentAudio[]> {
  return page.evaluate(() =>
    [...(window as unknown as { __peerConnections: Set<RTCPeerConnection> }).__peerConnections]
      .filter((pc) => pc.connectionState !== 'closed')
      .flatMap((pc) => pc.getSenders())
      .map((sender) => sender.track)
      .filter((track): track is MediaStreamTrack => track?.kind === 'audio')
      .map((track) => ({
        deviceId: track.getSettings().deviceId,
        label: track.label,
        readyState: track.readyState,
      })),
  );
}

/** The audio energy so far of the source every open peer connection sends (getStats). */
function sentAudioEnergy(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let total = 0;
    const connections = (window as unknown as { __peerConnections: Set<RTCPeerConnection> })
      .__peerConnections;
    for (const pc of connections) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach(
        (entry: { type: string; kind?: string; totalAudioEnergy?: number }) => {
          if (entry.type === 'media-source' && entry.kind === 'audio')
            total += entry.totalAudioEnergy ?? 0;
        },
      );
    }
    return total;
  });
}

test('switching microphones mid-call: the chosen device is what the others receive, and the call stays up', async ({
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob', undefined, recordPeerConnections);
  const bobOnAda = tile(ada.page, 'Bob');
  await expect(bobOnAda).toHaveAttribute('data-connection', 'connected');
  await expectAudioFlowing(bobOnAda);

  await bob.page.getByRole('button', { name: 'Devices' }).click();
  const picker = bob.page.getByRole('combobox', { name: 'Microphone', exact: true });
  const options = await picker
    .locator('option')
    .evaluateAll((all: HTMLOptionElement[]) => all.map((o) => ({ value: o.value, label: o.text })));
  expect(options.length, JSON.stringify(options)).toBe(3);
  const before = await picker.inputValue();
  const [first] = await sentAudio(bob.page);
  expect(first?.deviceId).toBe(before);

  for (const target of options.filter((o) => o.value !== before)) {
    await picker.selectOption(target.value);
    await expect(picker).toHaveValue(target.value);
    // The one peer connection now sends a live track from exactly that device.
    await expect
      .poll(() => sentAudio(bob.page))
      .toEqual([{ deviceId: target.value, label: target.label, readyState: 'live' }]);
    // What is sent carries sound (the fake microphone beeps): the sender's media source keeps
    // gaining audio energy. And it reaches Ada over the same connection: packets keep arriving.
    const energy = await sentAudioEnergy(bob.page);
    await expect.poll(() => sentAudioEnergy(bob.page)).toBeGreaterThan(energy);
    await expectAudioFlowing(bobOnAda);
    await expect(bobOnAda).toHaveAttribute('data-connection', 'connected');
    expect(Number((await bobOnAda.getAttribute('data-ice-restarts')) ?? 0)).toBe(0);
  }

  // The choice is remembered for the next visit (stored with the device preferences).
  const chosen = await picker.inputValue();
  await bob.page.getByRole('button', { name: 'Leave' }).click();
  await bob.page.getByRole('button', { name: 'Rejoin' }).click();
  await expect(bobOnAda).toHaveAttribute('data-connection', 'connected');
  await expect
    .poll(async () => (await sentAudio(bob.page)).map((a) => a.deviceId))
    .toEqual([chosen]);
});
