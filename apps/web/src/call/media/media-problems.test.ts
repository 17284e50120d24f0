import { describe, expect, it } from 'vitest';
import { acquireLocalMedia } from './local-media.ts';
import { classifyMediaError } from './media-problems.ts';

class FakeStream {
  constructor(readonly constraints: MediaStreamConstraints) {}
}
// Node has no MediaStream; the receive-only fallback only needs to construct one.
globalThis.MediaStream ??= function MediaStream() {} as unknown as typeof MediaStream;

function domError(name: string): Error {
  const error = new Error(name);
  error.name = name;
  return error;
}

describe('acquireLocalMedia', () => {
  it('returns camera and microphone when both work', async () => {
    const result = await acquireLocalMedia(
      { audio: true, video: true },
      async (c) => new FakeStream(c) as unknown as MediaStream,
    );
    expect(result.problem).toBeUndefined();
    expect((result.stream as unknown as FakeStream).constraints.audio).toBe(true);
  });

  it('falls back to audio only when there is no camera', async () => {
    const calls: MediaStreamConstraints[] = [];
    const result = await acquireLocalMedia({ audio: true, video: true }, async (c) => {
      calls.push(c);
      if (c.video) throw domError('NotFoundError');
      return new FakeStream(c) as unknown as MediaStream;
    });
    expect(result.problem).toBe('no-camera');
    expect(calls.map((c) => [Boolean(c.audio), Boolean(c.video)])).toEqual([
      [true, true],
      [true, false],
    ]);
  });

  it('joins receive-only, without asking again, when permission is denied', async () => {
    let calls = 0;
    const result = await acquireLocalMedia({ audio: true, video: true }, async () => {
      calls++;
      throw domError('NotAllowedError');
    });
    expect(result.problem).toBe('permission-denied');
    expect(calls).toBe(1);
  });

  it('reports no devices when nothing can be opened', async () => {
    const result = await acquireLocalMedia({ audio: true, video: true }, async () => {
      throw domError('NotFoundError');
    });
    expect(result.problem).toBe('no-devices');
  });

  it('asks for the chosen devices exactly', async () => {
    let seen: MediaStreamConstraints | undefined;
    await acquireLocalMedia(
      { audio: true, video: true, audioDeviceId: 'mic-2', videoDeviceId: 'cam-2' },
      async (c) => {
        seen = c;
        return new FakeStream(c) as unknown as MediaStream;
      },
    );
    expect(seen?.audio).toEqual({ deviceId: { exact: 'mic-2' } });
    expect(seen?.video).toMatchObject({ deviceId: { exact: 'cam-2' } });
  });
});

describe('classifyMediaError', () => {
  it.each([
    ['NotAllowedError', 'permission-denied'],
    ['NotFoundError', 'no-devices'],
    ['NotReadableError', 'device-in-use'],
    ['TypeError', 'unknown'],
  ])('%s → %s', (name, problem) => {
    expect(classifyMediaError(domError(name))).toBe(problem);
  });
});
