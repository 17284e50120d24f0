import { describe, expect, it } from 'vitest';
import { decodePeerMessage, MAX_CHAT_LENGTH, MAX_PEER_MESSAGE_LENGTH } from './peer-messages.ts';

describe('decodePeerMessage', () => {
  it.each([
    { type: 'media-state', audio: true, video: false, screenStreamId: null },
    { type: 'media-state', audio: false, video: true, screenStreamId: '{abc-123}' },
    { type: 'chat', id: 'm1', text: '<b>hi</b>', sentAt: 1 },
    { type: 'chat', id: 'm2', text: 'x'.repeat(MAX_CHAT_LENGTH), sentAt: 1 },
    { type: 'file-offer', transferId: 'abcdefgh', name: '../../x', size: 209715200, mime: '' },
    { type: 'file-accept', transferId: 'abcdefgh', offset: 1048576, channelId: 256 },
    { type: 'file-decline', transferId: 'abcdefgh' },
    { type: 'file-cancel', transferId: 'abcdefgh', reason: 'too-large' },
    { type: 'file-ack', transferId: 'abcdefgh', offset: 0 },
    { type: 'file-end', transferId: 'abcdefgh', digest: 'a'.repeat(64) },
    { type: 'file-result', transferId: 'abcdefgh', verified: true },
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
    [
      'file offer with a negative size',
      '{"type":"file-offer","transferId":"abcdefgh","name":"a","size":-1,"mime":""}',
    ],
    [
      'file accept on simple-peer channel ids',
      '{"type":"file-accept","transferId":"abcdefgh","offset":0,"channelId":0}',
    ],
    ['file end with a bad hash', '{"type":"file-end","transferId":"abcdefgh","digest":"XYZ"}'],
    [
      'file ack with a fractional offset',
      '{"type":"file-ack","transferId":"abcdefgh","offset":1.5}',
    ],
    ['chat with a sender name', '{"type":"chat","id":"m","text":"hi","sentAt":1,"from":"Admin"}'],
    ['oversize', 'x'.repeat(MAX_PEER_MESSAGE_LENGTH + 1)],
  ])('rejects %s', (_name, text) => {
    expect(decodePeerMessage(text)).toBeUndefined();
  });
});
