import { PROTOCOL_VERSION, type JoinMessage } from '@parley/protocol';

/** A `join` as the web client sends it, for the test clients of every transport. */
export function joinMessage(
  roomId: string,
  displayName = 'tester',
  resume?: { peerId: string; token: string },
): JoinMessage {
  return {
    type: 'join',
    protocol: PROTOCOL_VERSION,
    roomId,
    displayName,
    ...(resume ? { resume } : {}),
  };
}
