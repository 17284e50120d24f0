import { MAX_PEEK_NAMES, type ServerMessage } from '@parley/protocol';
import type { RoomStore } from '../rooms/room-store.ts';

/**
 * Answers a lobby's `peek`: the names seated in the room (connected or holding a seat for a
 * resume) and the capacity. Read-only: nobody is seated or told. The room ID is the secret, so
 * only someone holding the link can ask, and they could join and see the same.
 */
export async function answerPeek(
  store: RoomStore,
  roomId: string,
  capacity: number,
  send: (message: ServerMessage) => void,
): Promise<void> {
  const room = await store.get(roomId);
  const names = (room?.members ?? []).slice(0, MAX_PEEK_NAMES).map((m) => m.displayName);
  send({ type: 'room-peek', roomId, names, capacity });
}
