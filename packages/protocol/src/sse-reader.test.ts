import { describe, expect, it } from 'vitest';
import { SseReader, type SseEvent } from './sse-reader.ts';

function read(chunks: string[]): { events: SseEvent[]; comments: string[] } {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const reader = new SseReader(
    (e) => events.push(e),
    (c) => comments.push(c),
  );
  for (const chunk of chunks) reader.feed(chunk);
  return { events, comments };
}

describe('SseReader', () => {
  it('reads ids, event names, multi-line data and comments, whatever the chunking', () => {
    const stream =
      ': open\n\nid: 1\ndata: {"a":\ndata: 1}\n\nevent: close\r\ndata: {"code":1012}\r\n\r\n: heartbeat\n\n';
    const expected = {
      events: [
        { event: 'message', data: '{"a":\n1}', id: '1' },
        { event: 'close', data: '{"code":1012}', id: undefined },
      ],
      comments: ['open', 'heartbeat'],
    };
    expect(read([stream])).toEqual(expected);
    // One character at a time: every line break and CRLF split across chunks.
    expect(read([...stream])).toEqual(expected);
  });

  it('dispatches nothing for an event without data, and nothing unfinished', () => {
    expect(read(['id: 5\n\ndata: half']).events).toEqual([]);
  });
});
