import { describe, expect, it } from 'vitest';
import { decodePeerMessage, MAX_PEER_MESSAGE_LENGTH } from './peer-messages.ts';

describe('decodePeerMessage', () => {
  it('accepts a media-state message', () => {
    expect(decodePeerMessage('{"type":"media-state","audio":true,"video":false}')).toEqual({
      type: 'media-state',
      audio: true,
      video: false,
    });
  });
  it.each([
    ['not JSON', '{'],
    ['unknown type', '{"type":"boom"}'],
    ['wrong field type', '{"type":"media-state","audio":"yes","video":false}'],
    ['extra field', '{"type":"media-state","audio":true,"video":false,"x":1}'],
    ['oversize', 'x'.repeat(MAX_PEER_MESSAGE_LENGTH + 1)],
  ])('rejects %s', (_name, text) => {
    expect(decodePeerMessage(text)).toBeUndefined();
  });
});
