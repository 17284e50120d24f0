import type { JoinMessage, ServerMessage } from '@parley/protocol';
import type { AdmitResult } from '../rooms/room.ts';

type Admitted = Extract<AdmitResult, { ok: true }>;

interface Notifier {
  broadcast(
    room: Admitted['room'],
    exceptPeerId: string,
    messageFor: (peerId: string) => ServerMessage,
  ): void;
}

/**
 * Name notices after a seat is taken:
 * - the newcomer learns the name it is shown under, when the server told it apart from a
 *   namesake ("Sam (2)") or from a reserved name;
 * - on a restore, the room learns of a new name, and of a takeover: a resume token presented
 *   while the seat's old connection was still live. That is usually the same browser coming
 *   back before its dead link was noticed, but it may be someone else holding the token, so the
 *   others are told rather than left with a silent swap.
 */
export function announceNames(
  hub: Notifier,
  self: { send(message: ServerMessage): void },
  join: JoinMessage,
  result: Admitted,
): void {
  const { member, previous } = result;
  if (member.displayName !== join.displayName) {
    self.send({
      type: 'peer-updated',
      peerId: member.peerId,
      displayName: member.displayName,
      takeover: false,
    });
  }
  if (!previous) return;
  const takeover = previous.connected;
  if (!takeover && previous.displayName === member.displayName) return;
  hub.broadcast(result.room, member.peerId, () => ({
    type: 'peer-updated',
    peerId: member.peerId,
    displayName: member.displayName,
    takeover,
  }));
}
