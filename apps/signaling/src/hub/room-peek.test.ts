import { createRoomId } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../testing/server-fixture.ts';

const { start, client } = useTestServer();

describe('peek (the lobby asks who is in the call)', () => {
  it('lists the names seated in the room, without joining or telling anyone', async () => {
    await start();
    const room = createRoomId();
    const lobby = await client();
    lobby.send({ type: 'peek', roomId: room });
    expect(await lobby.next('room-peek')).toEqual({
      type: 'room-peek',
      roomId: room,
      names: [],
      capacity: 6,
    });

    const ada = await client();
    await ada.join(room, 'Ada');
    const bob = await client();
    await bob.join(room, 'Bob');
    lobby.send({ type: 'peek', roomId: room });
    expect(await lobby.next('room-peek')).toMatchObject({
      names: ['Ada', 'Bob'],
    });

    // Peeking announced nothing: after a round trip on her own socket, Ada has heard only of
    // Bob. And the lobby can still join, as anyone holding the link could.
    await ada.sync();
    expect(ada.messages.filter((m) => m.type === 'peer-joined')).toHaveLength(1);
    const joined = await lobby.join(room, 'Carol');
    expect(joined.peers.map((p) => p.displayName).sort()).toEqual(['Ada', 'Bob']);
  });
});
