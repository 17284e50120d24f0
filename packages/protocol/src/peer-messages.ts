import * as v from 'valibot';

/**
 * Messages sent peer to peer over the WebRTC data channel. They never touch the server, but a
 * peer is still untrusted input, so they are validated like everything else.
 */

/** Longest chat message, in characters (UTF-16 code units). */
export const MAX_CHAT_LENGTH = 2000;
/** Longest sender-chosen chat message ID (ours are 22-character base64url). */
export const MAX_CHAT_ID_LENGTH = 64;
/** Longest media stream ID a peer may announce (Chromium's are 36-38 character UUIDs). */
export const MAX_STREAM_ID_LENGTH = 128;
/**
 * Latest time a timestamp may carry: ECMAScript's own limit for a Date (±8.64e15 ms). A larger
 * number makes `new Date()` invalid and `Intl.DateTimeFormat` throw `RangeError` (issue 14: one
 * chat message with `sentAt: 1e300` blanked every page in the call).
 */
export const MAX_TIMESTAMP_MS = 8.64e15;
/** Longest file name a peer may offer, before sanitising (which cuts it to 200). */
export const MAX_OFFERED_NAME_LENGTH = 1024;
export const MAX_MIME_LENGTH = 255;
/** Largest file size, offset or acknowledgement a peer may state: exact in a double. */
export const MAX_FILE_BYTES = Number.MAX_SAFE_INTEGER;

export const MediaStateSchema = v.strictObject({
  type: v.literal('media-state'),
  audio: v.boolean(),
  video: v.boolean(),
  /**
   * ID of the MediaStream carrying our screen share, or null when not sharing. Receivers use it
   * to tell the screen from the camera among the streams they receive.
   */
  screenStreamId: v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_STREAM_ID_LENGTH))),
});

export const ChatSchema = v.strictObject({
  type: v.literal('chat'),
  /** Sender-chosen ID, so the sender's own echo and the receivers' copies can be matched. */
  id: v.pipe(v.string(), v.regex(new RegExp(`^[A-Za-z0-9_-]{1,${MAX_CHAT_ID_LENGTH}}$`))),
  text: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_CHAT_LENGTH)),
  /**
   * Sender's clock (ms since epoch). Informational only: receivers show when the message
   * arrived, by their own clock, since a sender's clock can be wrong or hostile.
   */
  sentAt: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_TIMESTAMP_MS)),
});

const TransferId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{8,64}$/));
/** Data channel IDs for file data: pre-negotiated, in a range simple-peer's own channel never uses. */
export const FILE_CHANNEL_ID_MIN = 256;
export const FILE_CHANNEL_ID_MAX = 1023;
const ChannelId = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(FILE_CHANNEL_ID_MIN),
  v.maxValue(FILE_CHANNEL_ID_MAX),
);
const ByteCount = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_FILE_BYTES));
const Sha256Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));

/**
 * A file's digest is SHA-256 in blocks: the SHA-256 of each block of this many bytes (the last
 * may be shorter; an empty file has none), concatenated, then hashed with SHA-256. Browsers only
 * offer a native SHA-256 of whole buffers (Web Crypto), and hashing one block at a time with it
 * is several times cheaper than a streaming hash in wasm, CPU the send loop needs.
 */
export const FILE_DIGEST_BLOCK_BYTES = 4 * 1024 * 1024;

/** Sender → receiver: "may I send you this?". No data flows until it is accepted. */
export const FileOfferSchema = v.strictObject({
  type: v.literal('file-offer'),
  transferId: TransferId,
  /** As the sender named it; the receiver sanitises it before showing or saving it. */
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_OFFERED_NAME_LENGTH)),
  size: ByteCount,
  mime: v.pipe(v.string(), v.maxLength(MAX_MIME_LENGTH)),
});

/**
 * Receiver → sender: send from `offset` on the pre-negotiated data channel `channelId`.
 * Sent once to accept, and again with the bytes already written to resume after a drop.
 */
export const FileAcceptSchema = v.strictObject({
  type: v.literal('file-accept'),
  transferId: TransferId,
  offset: ByteCount,
  channelId: ChannelId,
});

export const FileDeclineSchema = v.strictObject({
  type: v.literal('file-decline'),
  transferId: TransferId,
});

/** Either side stops the transfer for good. */
export const FileCancelSchema = v.strictObject({
  type: v.literal('file-cancel'),
  transferId: TransferId,
  reason: v.picklist(['cancelled', 'too-large', 'failed']),
});

/** Receiver → sender: bytes safely written; the sender keeps at most a window beyond this. */
export const FileAckSchema = v.strictObject({
  type: v.literal('file-ack'),
  transferId: TransferId,
  offset: ByteCount,
});

/** Sender → receiver: every byte is sent; this is the file's digest (FILE_DIGEST_BLOCK_BYTES). */
export const FileEndSchema = v.strictObject({
  type: v.literal('file-end'),
  transferId: TransferId,
  digest: Sha256Hex,
});

/** Receiver → sender: whether the received file matched the hash. */
export const FileResultSchema = v.strictObject({
  type: v.literal('file-result'),
  transferId: TransferId,
  verified: v.boolean(),
});

export const FILE_MESSAGE_TYPES = [
  'file-offer',
  'file-accept',
  'file-decline',
  'file-cancel',
  'file-ack',
  'file-end',
  'file-result',
] as const;

export const PeerMessageSchema = v.variant('type', [
  MediaStateSchema,
  ChatSchema,
  FileOfferSchema,
  FileAcceptSchema,
  FileDeclineSchema,
  FileCancelSchema,
  FileAckSchema,
  FileEndSchema,
  FileResultSchema,
]);

export type PeerMessage = v.InferOutput<typeof PeerMessageSchema>;
export type MediaState = Omit<v.InferOutput<typeof MediaStateSchema>, 'type'>;
export type FileMessage = Extract<PeerMessage, { type: (typeof FILE_MESSAGE_TYPES)[number] }>;
export type FileOffer = v.InferOutput<typeof FileOfferSchema>;

export function isFileMessage(message: PeerMessage): message is FileMessage {
  return (FILE_MESSAGE_TYPES as readonly string[]).includes(message.type);
}

/** Largest data-channel control message we accept (files travel on their own channels). */
export const MAX_PEER_MESSAGE_LENGTH = 16 * 1024;

/**
 * Decodes one data-channel message, or returns undefined for anything that is not a valid peer
 * message within every bound above (the caller drops and counts it).
 */
export function decodePeerMessage(text: unknown): PeerMessage | undefined {
  if (typeof text !== 'string' || text.length > MAX_PEER_MESSAGE_LENGTH) return undefined;
  try {
    const result = v.safeParse(PeerMessageSchema, JSON.parse(text));
    return result.success ? result.output : undefined;
  } catch {
    return undefined;
  }
}
