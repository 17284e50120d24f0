import * as v from 'valibot';

/**
 * Messages sent peer to peer over the WebRTC data channel. They never touch the server, but a
 * peer is still untrusted input, so they are validated like everything else.
 */

export const MediaStateSchema = v.strictObject({
  type: v.literal('media-state'),
  audio: v.boolean(),
  video: v.boolean(),
});

export const PeerMessageSchema = v.variant('type', [MediaStateSchema]);

export type PeerMessage = v.InferOutput<typeof PeerMessageSchema>;
export type MediaState = Omit<v.InferOutput<typeof MediaStateSchema>, 'type'>;

/** Largest data-channel control message we accept (files travel on their own channels). */
export const MAX_PEER_MESSAGE_LENGTH = 16 * 1024;

export function decodePeerMessage(text: string): PeerMessage | undefined {
  if (text.length > MAX_PEER_MESSAGE_LENGTH) return undefined;
  try {
    const result = v.safeParse(PeerMessageSchema, JSON.parse(text));
    return result.success ? result.output : undefined;
  } catch {
    return undefined;
  }
}
