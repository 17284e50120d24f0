import * as v from 'valibot';

/**
 * Messages sent peer to peer over the WebRTC data channel. They never touch the server, but a
 * peer is still untrusted input, so they are validated like everything else.
 */

/** Longest chat message, in characters (UTF-16 code units). */
export const MAX_CHAT_LENGTH = 2000;

export const MediaStateSchema = v.strictObject({
  type: v.literal('media-state'),
  audio: v.boolean(),
  video: v.boolean(),
  /**
   * ID of the MediaStream carrying our screen share, or null when not sharing. Receivers use it
   * to tell the screen from the camera among the streams they receive.
   */
  screenStreamId: v.nullable(v.pipe(v.string(), v.maxLength(128))),
});

export const ChatSchema = v.strictObject({
  type: v.literal('chat'),
  /** Sender-chosen ID, so the sender's own echo and the receivers' copies can be matched. */
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  text: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_CHAT_LENGTH)),
  /** Sender's clock (ms since epoch); shown as the time sent. */
  sentAt: v.pipe(v.number(), v.finite()),
});

export const PeerMessageSchema = v.variant('type', [MediaStateSchema, ChatSchema]);

export type PeerMessage = v.InferOutput<typeof PeerMessageSchema>;
export type MediaState = Omit<v.InferOutput<typeof MediaStateSchema>, 'type'>;
export type ChatMessage = v.InferOutput<typeof ChatSchema>;

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
