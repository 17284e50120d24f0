import * as v from 'valibot';
import { ClientMessageSchema, type ClientMessage } from './client-messages.ts';
import type { ErrorCode } from './errors.ts';
import { isSupportedProtocol, OLDEST_SUPPORTED_PROTOCOL, PROTOCOL_VERSION } from './limits.ts';
import { ServerMessageSchema, type ServerMessage } from './server-messages.ts';

export interface DecodeFailure {
  ok: false;
  code: Extract<ErrorCode, 'bad-message' | 'unsupported-version'>;
  message: string;
  /** Dot path of the first bad field, e.g. `payload.sdp`. */
  path?: string;
}

export type DecodeResult<T> = { ok: true; message: T } | DecodeFailure;

type JsonObject = Record<string, unknown>;

function parseJsonObject(text: string): { ok: true; value: JsonObject } | DecodeFailure {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad-message', message: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'bad-message', message: 'frame must be a JSON object' };
  }
  return { ok: true, value: value as JsonObject };
}

/**
 * Error texts quote the input (an unknown key names itself in the path and again in valibot's
 * "received ..." message), so a 60 KB key used to come back as a 180 KB error: a 3x reflection
 * amplifier. Quoted input is cut to this many characters.
 */
export const MAX_ERROR_TEXT_LENGTH = 200;

function clip(text: string): string {
  return text.length <= MAX_ERROR_TEXT_LENGTH
    ? text
    : `${text.slice(0, MAX_ERROR_TEXT_LENGTH - 1)}…`;
}

const PARSE_CONFIG = { abortEarly: true } as const;

function validate<T>(schema: v.GenericSchema<unknown, T>, value: unknown): DecodeResult<T> {
  const result = v.safeParse(schema, value, PARSE_CONFIG);
  if (result.success) return { ok: true, message: result.output };
  const issue = result.issues[0];
  const path = v.getDotPath(issue);
  const failure: DecodeFailure = {
    ok: false,
    code: 'bad-message',
    message: clip(path ? `${path}: ${issue.message}` : issue.message),
  };
  if (path) failure.path = clip(path);
  return failure;
}

/**
 * Each client message's own schema, by its `type`. The variant schema tries its options in
 * turn (allocating as it goes) before running the one whose `type` matches; for a known `type`
 * going straight to that option gives the very same result, issues included, for less work on
 * every frame. An unknown or missing `type` still goes through the variant, for its error.
 */
const CLIENT_SCHEMA_BY_TYPE = new Map<unknown, v.GenericSchema<unknown, ClientMessage>>(
  ClientMessageSchema.options.map((schema) => [schema.entries.type.literal, schema]),
);

/**
 * Decodes one frame from a client. Never throws. A `join` carrying a protocol version this server
 * does not seat (newer, or more than one behind) is answered with `unsupported-version` before
 * its shape is checked, because such a client's join may legitimately look different.
 */
export function decodeClientMessage(text: string): DecodeResult<ClientMessage> {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (value.type === 'join' && !isSupportedProtocol(value.protocol)) {
    return {
      ok: false,
      code: 'unsupported-version',
      message: `this server speaks protocols ${OLDEST_SUPPORTED_PROTOCOL} and ${PROTOCOL_VERSION}; reload the page to update`,
      path: 'protocol',
    };
  }
  return validate(CLIENT_SCHEMA_BY_TYPE.get(value.type) ?? ClientMessageSchema, value);
}

/** Decodes one frame from the server. Never throws. */
export function decodeServerMessage(text: string): DecodeResult<ServerMessage> {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  return validate(ServerMessageSchema, parsed.value);
}

export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}
