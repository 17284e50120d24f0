import { expect } from 'vitest';
import { joinMessage } from './join-message.ts';
import type { TestClient } from './test-client.ts';

/** A raw `join` to a call that may be locked: the newcomer knocks, nothing more is awaited. */
export function knock(newcomer: TestClient, roomId: string, displayName = 'Newcomer'): void {
  newcomer.send(joinMessage(roomId, displayName));
}

/**
 * Knocks on a locked call and checks what parked means, wherever the people are connected:
 * the newcomer is told to wait, both participants are asked (one knock ID), and the newcomer
 * has no seat to signal from. Returns the knock the participants saw.
 */
export async function knockAndExpectParked(
  newcomer: TestClient,
  call: { roomId: string; host: TestClient; guest: TestClient; hostId: string },
  displayName = 'Newcomer',
) {
  knock(newcomer, call.roomId, displayName);
  expect(await newcomer.next('waiting-for-admission')).toMatchObject({ timeoutMs: 120_000 });
  const asked = await call.host.next('knock', (k) => k.displayName === displayName);
  expect((await call.guest.next('knock', (k) => k.displayName === displayName)).knockId).toBe(
    asked.knockId,
  );
  newcomer.send({
    type: 'signal',
    to: call.hostId,
    payload: { type: 'renegotiate', renegotiate: true },
  });
  expect(await newcomer.next('error')).toMatchObject({ code: 'not-in-room' });
  return asked;
}
