import { CLOSE_CODES, createRoomId } from '@parley/protocol';
import { afterEach, expect, it } from 'vitest';
import { HttpSessionClient } from '../testing/http-session-client.ts';
import { spawnServerProcess, type ServerProcess } from '../testing/server-process.ts';

/**
 * A restart of the real server process (the entry point docker runs) under HTTP sessions: a
 * graceful stop tells each open stream 1012, and a session opened on the new process resumes
 * the same participant with its resume token, over SSE and over long-polling alike.
 */

const processes: ServerProcess[] = [];
const clients: HttpSessionClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.stopReading();
  for (const p of processes.splice(0)) p.kill();
});

async function open(url: string, mode: 'sse' | 'poll'): Promise<HttpSessionClient> {
  const c = await HttpSessionClient.open(url, { mode });
  clients.push(c);
  return c;
}

it('tells HTTP sessions 1012 on SIGTERM, and they resume as the same participants after the restart', async () => {
  const first = spawnServerProcess();
  processes.push(first);
  const port = await first.port;
  const url = `http://127.0.0.1:${port}`;
  const roomId = createRoomId();
  const sse = await open(url, 'sse');
  const poll = await open(url, 'poll');
  const a = await sse.join(roomId, 'over sse');
  const b = await poll.join(roomId, 'over poll');

  first.child.kill('SIGTERM');
  const restart = { code: CLOSE_CODES.serviceRestart, reason: 'server restarting' };
  expect(await sse.closed).toEqual(restart);
  expect(await poll.closed).toEqual(restart);
  expect(await first.exited).toBe(0);

  const second = spawnServerProcess({ env: { PORT: String(port) } });
  processes.push(second);
  expect(await second.port).toBe(port);
  const sseAgain = await open(url, 'sse');
  const pollAgain = await open(url, 'poll');
  const a2 = await sseAgain.join(roomId, 'over sse', { peerId: a.selfId, token: a.resumeToken });
  const b2 = await pollAgain.join(roomId, 'over poll', { peerId: b.selfId, token: b.resumeToken });
  expect([a2.selfId, b2.selfId]).toEqual([a.selfId, b.selfId]);
  // And they reach each other again through the new process.
  await sseAgain.send({ type: 'signal', to: b.selfId, payload: { type: 'offer', sdp: 'v=0\r\n' } });
  expect((await pollAgain.next('signal')).from).toBe(a.selfId);
  for (const c of clients) expect(c.faults).toEqual([]);
}, 30_000);
