import type { AnswerKnockMessage, SetLockMessage } from '@parley/protocol';
import type { Doorkeeper } from './doorkeeper.ts';

export type LockMessage = SetLockMessage | AnswerKnockMessage;

/** A participant's lock and knock requests; the hub has checked that it holds a seat. */
export function handleLockMessage(
  doorkeeper: Doorkeeper,
  member: { roomId: string; displayName: string },
  message: LockMessage,
): Promise<void> {
  switch (message.type) {
    case 'set-lock':
      return doorkeeper.setLock(member.roomId, message.locked, member.displayName);
    case 'answer-knock':
      return doorkeeper.answer(member.roomId, message.knockId, message.admit, member.displayName);
  }
}
