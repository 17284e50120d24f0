import {
  CLOSE_CODES,
  OLDEST_SUPPORTED_PROTOCOL,
  PROTOCOL_VERSION,
  createRoomId,
} from '@parley/protocol';
import { afterEach, expect, it } from 'vitest';
import { spawnServerProcess, type ServerProcess } from './testing/server-process.ts';
import { TestClient } from './testing/test-client.ts';

/**
 * An upgrade restarts the server under calls in progress. Their pages still speak the protocol
 * they were loaded with, one version behind the new server, and must resume their seats rather
 * than be told to reload (which would end the call). Here a client pinned to the previous
 * protocol is in a call with a current one across a real restart of the server process.
 */

const processes: ServerProcess[] = [];
const clients: TestClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.socket.terminate();
  for (const p of processes.splice(0)) p.kill();
});

async function connect(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  clients.push(c);
  return c;
}

function joinAs(
  client: TestClient,
  protocol: number,
  roomId: string,
  displayName: string,
  resume?: { peerId: string; token: string },
) {
  client.send({ type: 'join', protocol, roomId, displayName, ...(resume ? { resume } : {}) });
  return client.next('joined');
}

it('keeps a previous-protocol client in its call across a server restart', async () => {
  expect(OLDEST_SUPPORTED_PROTOCOL).toBeLessThan(PROTOCOL_VERSION);
  const first = spawnServerProcess();
  processes.push(first);
  const port = await first.port;
  const url = `http://127.0.0.1:${port}`;
  const roomId = createRoomId();

  const old = await connect(url);
  const current = await connect(url);
  const oldSeat = await joinAs(old, OLDEST_SUPPORTED_PROTOCOL, roomId, 'Old page');
  // The server says which version it speaks, so the page can load the new one between calls.
  expect(oldSeat.protocol).toBe(PROTOCOL_VERSION);
  const currentSeat = await joinAs(current, PROTOCOL_VERSION, roomId, 'New page');
  expect(currentSeat.peers.map((p) => p.id)).toEqual([oldSeat.selfId]);
  old.send({ type: 'signal', to: currentSeat.selfId, payload: { type: 'offer', sdp: 'v=0\r\n' } });
  expect((await current.next('signal')).from).toBe(oldSeat.selfId);

  first.child.kill('SIGTERM');
  const restart = { code: CLOSE_CODES.serviceRestart, reason: 'server restarting' };
  expect(await old.closed).toEqual(restart);
  expect(await current.closed).toEqual(restart);
  expect(await first.exited).toBe(0);

  const second = spawnServerProcess({ env: { PORT: String(port) } });
  processes.push(second);
  expect(await second.port).toBe(port);
  const oldAgain = await connect(url);
  const currentAgain = await connect(url);
  const oldResumed = await joinAs(oldAgain, OLDEST_SUPPORTED_PROTOCOL, roomId, 'Old page', {
    peerId: oldSeat.selfId,
    token: oldSeat.resumeToken,
  });
  // A restarted in-memory server holds no seats; the signed token gives back the same identity.
  expect(oldResumed.selfId).toBe(oldSeat.selfId);
  const currentResumed = await joinAs(currentAgain, PROTOCOL_VERSION, roomId, 'New page', {
    peerId: currentSeat.selfId,
    token: currentSeat.resumeToken,
  });
  expect(currentResumed.selfId).toBe(currentSeat.selfId);

  // Signals flow both ways again, and neither side saw the other leave.
  currentAgain.send({
    type: 'signal',
    to: oldSeat.selfId,
    payload: { type: 'offer', sdp: 'v=0\r\n' },
  });
  expect((await oldAgain.next('signal')).from).toBe(currentSeat.selfId);
  oldAgain.send({
    type: 'signal',
    to: currentSeat.selfId,
    payload: { type: 'offer', sdp: 'v=0\r\n' },
  });
  expect((await currentAgain.next('signal')).from).toBe(oldSeat.selfId);
  await Promise.all([oldAgain.sync(), currentAgain.sync()]);
  for (const c of [old, current, oldAgain, currentAgain])
    expect(c.received('peer-left')).toEqual([]);
}, 30_000);

it('tells a client two versions behind to reload, before it takes a seat', async () => {
  const server = spawnServerProcess();
  processes.push(server);
  const url = `http://127.0.0.1:${await server.port}`;
  const stale = await connect(url);
  stale.send({
    type: 'join',
    protocol: OLDEST_SUPPORTED_PROTOCOL - 1,
    roomId: createRoomId(),
    displayName: 'Stale page',
  });
  expect(await stale.next('error')).toMatchObject({
    code: 'unsupported-version',
    path: 'protocol',
  });
});
