import { describe, expect, it } from 'vitest';
import { decodePeerMessage, MAX_CHAT_LENGTH, MAX_PEER_MESSAGE_LENGTH } from './peer-messages.ts';

describe('decodePeerMessage', () => {
  it.each([
    { type: 'media-state', audio: true, video: false, screenStreamId: null },
    { type: 'media-state', audio: false, video: true, screenStreamId: '{abc-123}' },
    { type: 'chat', id: 'm1', text: '<b>hi</b>', sentAt: 1 },
    { type: 'chat', id: 'm2', text: 'x'.repeat(MAX_CHAT_LENGTH), sentAt: 1 },
  ])('accepts %j', (message) => {
    expect(decodePeerMessage(JSON.stringify(message))).toEqual(message);
  });
  it.each([
    ['not JSON', '{'],
    ['unknown type', '{"type":"boom"}'],
    [
      'wrong field type',
      '{"type":"media-state","audio":"yes","video":false,"screenStreamId":null}',
    ],
    [
      'extra field',
      '{"type":"media-state","audio":true,"video":false,"screenStreamId":null,"x":1}',
    ],
    ['missing screenStreamId', '{"type":"media-state","audio":true,"video":false}'],
    ['empty chat', '{"type":"chat","id":"m","text":"","sentAt":1}'],
    [
      'chat over the cap',
      JSON.stringify({ type: 'chat', id: 'm', text: 'x'.repeat(MAX_CHAT_LENGTH + 1), sentAt: 1 }),
    ],
    ['chat with a sender name', '{"type":"chat","id":"m","text":"hi","sentAt":1,"from":"Admin"}'],
    ['oversize', 'x'.repeat(MAX_PEER_MESSAGE_LENGTH + 1)],
  ])('rejects %s', (_name, text) => {
    expect(decodePeerMessage(text)).toBeUndefined();
  });
});
