import { createRoomId } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { joinMessage } from '../testing/join-message.ts';
import { knock, knockAndExpectParked } from '../testing/knock.ts';
import { useTestServer } from '../testing/server-fixture.ts';

/** Lock and knock, enforced by a real server: raw clients, no browser to trust. */

const fixture = useTestServer();
const { start, client } = fixture;

async function lockedCall(options: Parameters<typeof start>[0] = {}) {
  await start(options);
  const roomId = createRoomId();
  const host = await client();
  const hostId = (await host.join(roomId, 'Host')).selfId;
  const guest = await client();
  await guest.join(roomId, 'Guest');
  host.send({ type: 'set-lock', locked: true });
  expect(await host.next('lock-state')).toEqual({
    type: 'lock-state',
    locked: true,
    byName: 'Host',
  });
  expect(await guest.next('lock-state')).toMatchObject({ locked: true, byName: 'Host' });
  return { roomId, host, guest, hostId };
}

describe('lock and knock', () => {
  it('parks a raw join to a locked call until a participant admits it, then seats it at once', async () => {
    const { roomId, host, guest, hostId } = await lockedCall();
    const newcomer = await client();
    const asked = await knockAndExpectParked(newcomer, { roomId, host, guest, hostId });
    // Parked means nothing: no seat, no peers, no credentials, no signalling.
    expect(newcomer.received('joined')).toEqual([]);
    expect(host.received('peer-joined').filter((m) => m.peer.displayName === 'Newcomer')).toEqual(
      [],
    );

    guest.send({ type: 'answer-knock', knockId: asked.knockId, admit: true });
    const joined = await newcomer.next('joined');
    expect(joined.peers.map((p) => p.displayName).sort()).toEqual(['Guest', 'Host']);
    expect(await newcomer.next('lock-state')).toEqual({ type: 'lock-state', locked: true });
    expect(await host.next('knock-ended')).toEqual({
      type: 'knock-ended',
      knockId: asked.knockId,
      outcome: 'admitted',
      byName: 'Guest',
    });
    await host.next('peer-joined', (m) => m.peer.id === joined.selfId);
    // A second answer to the same knock finds nothing to do.
    host.send({ type: 'answer-knock', knockId: asked.knockId, admit: false });
    await host.sync();
    expect(newcomer.received('error').filter((e) => e.code === 'knock-denied')).toEqual([]);
  });

  it('turns a denied newcomer away with knock-denied', async () => {
    const { roomId, host, guest } = await lockedCall();
    const newcomer = await client();
    knock(newcomer, roomId);
    const asked = await host.next('knock');
    host.send({ type: 'answer-knock', knockId: asked.knockId, admit: false });
    expect(await newcomer.next('error')).toMatchObject({ code: 'knock-denied' });
    expect(await guest.next('knock-ended')).toMatchObject({ outcome: 'denied', byName: 'Host' });
    expect(newcomer.received('joined')).toEqual([]);
    // It may knock again (a mistaken "Deny" is not final).
    knock(newcomer, roomId);
    expect((await host.next('knock')).knockId).not.toBe(asked.knockId);
  });

  it('turns an unanswered newcomer away with knock-timed-out after the knock timeout', async () => {
    const { roomId, host } = await lockedCall({ knockTimeoutMs: 300 });
    const newcomer = await client();
    knock(newcomer, roomId);
    expect(await newcomer.next('waiting-for-admission')).toMatchObject({ timeoutMs: 300 });
    expect(await newcomer.next('error')).toMatchObject({ code: 'knock-timed-out' });
    expect(await host.next('knock-ended')).toMatchObject({ outcome: 'timed-out' });
  });

  it('lets only participants lock or answer', async () => {
    const { roomId, host } = await lockedCall();
    const stranger = await client();
    stranger.send({ type: 'set-lock', locked: false });
    expect(await stranger.next('error')).toMatchObject({ code: 'not-allowed' });
    const newcomer = await client();
    knock(newcomer, roomId);
    const asked = await host.next('knock');
    // The newcomer cannot admit itself.
    newcomer.send({ type: 'answer-knock', knockId: asked.knockId, admit: true });
    expect(await newcomer.next('error')).toMatchObject({ code: 'not-allowed' });
    expect(newcomer.received('joined')).toEqual([]);
  });

  it('rate-limits knock floods from one address', async () => {
    const { roomId } = await lockedCall();
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await client();
      knock(c, roomId, `Knocker ${i}`);
      const reply = await Promise.race([
        c.next('waiting-for-admission').then(() => 'waiting'),
        c.next('error').then((e) => e.code),
      ]);
      answers.push(reply);
    }
    // Three may wait at once from one address; the rest are refused.
    expect(answers).toEqual([
      'waiting',
      'waiting',
      'waiting',
      'knock-rate-limited',
      'knock-rate-limited',
    ]);
    // Another address still gets through.
    const other = await client({ localAddress: '127.0.0.2' });
    knock(other, roomId);
    await other.next('waiting-for-admission');
  });

  it('a newcomer that gives up (leave or closed socket) withdraws its knock', async () => {
    const { roomId, host } = await lockedCall();
    const newcomer = await client();
    knock(newcomer, roomId);
    const asked = await host.next('knock');
    newcomer.send({ type: 'leave' });
    expect(await host.next('knock-ended')).toMatchObject({
      knockId: asked.knockId,
      outcome: 'cancelled',
    });
  });

  it('the first person can start the call locked; unlocking lets everyone waiting in', async () => {
    await start();
    const roomId = createRoomId();
    const first = await client();
    first.send({ ...joinMessage(roomId, 'First'), startLocked: true });
    await first.next('joined');
    expect(await first.next('lock-state')).toMatchObject({ locked: true });
    const newcomer = await client({ localAddress: '127.0.0.3' });
    knock(newcomer, roomId);
    await first.next('knock');
    first.send({ type: 'set-lock', locked: false });
    expect(await first.next('lock-state')).toEqual({
      type: 'lock-state',
      locked: false,
      byName: 'First',
    });
    await newcomer.next('joined');
    // A later joiner asking to start locked does not lock an existing call.
    const late = await client();
    late.send({ ...joinMessage(roomId, 'Late'), startLocked: true });
    await late.next('joined');
    await late.sync();
    expect(late.received('lock-state')).toEqual([]);
  });

  it('when the last participant leaves, the lock goes and whoever waits is told', async () => {
    await start();
    const roomId = createRoomId();
    const only = await client();
    only.send({ ...joinMessage(roomId, 'Only'), startLocked: true });
    await only.next('joined');
    const newcomer = await client();
    knock(newcomer, roomId);
    await only.next('knock');
    only.send({ type: 'leave' });
    expect(await newcomer.next('error')).toMatchObject({ code: 'knock-denied' });
    const next = await client();
    expect((await next.join(roomId)).peers).toEqual([]);
  });
});
