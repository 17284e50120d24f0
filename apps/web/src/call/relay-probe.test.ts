import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ALLOCATION_TIMEOUT_MS, DATA_TIMEOUT_MS, probeRelay } from './relay-probe.ts';
import { fakeRelayNetwork, type RelayBehaviour } from './testing/fake-relay-network.ts';

const PUBLIC_SERVER: RTCIceServer[] = [
  { urls: ['turn:turn.example.org:3478?transport=udp'], username: 'u', credential: 'p' },
];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Runs the probe against fakes; `after` is how far the clock may move while it waits. */
async function probe(behaviour: RelayBehaviour, servers = PUBLIC_SERVER, after = 0) {
  const network = fakeRelayNetwork(behaviour);
  const outcome = probeRelay({ iceServers: servers, createPeerConnection: network.create });
  await vi.advanceTimersByTimeAsync(after);
  return { outcome: await outcome, network };
}

describe('probeRelay', () => {
  it('reports the round trip when messages come back through the relay', async () => {
    const { outcome, network } = await probe({ relayAddress: '203.0.113.10', dataFlows: true });
    expect(outcome).toEqual({
      kind: 'relayed',
      relayAddress: '203.0.113.10',
      roundTripMs: 0,
      messages: 5,
    });
    // Both connections are relay-only, with only the server under test, and both are closed.
    for (const pc of network.made) {
      expect(pc.configuration).toEqual({
        iceServers: PUBLIC_SERVER,
        iceTransportPolicy: 'relay',
      });
      expect(pc.closed).toBe(true);
    }
    // The caller's candidates went to the answerer and the other way round.
    expect(network.made[1]!.added).toHaveLength(1);
    expect(network.made[0]!.channel!.sent).toEqual([
      'probe 0',
      'probe 1',
      'probe 2',
      'probe 3',
      'probe 4',
    ]);
  });

  it('fails on a private relay address even when the two local peers get data through (TURN_EXTERNAL_IP missing)', async () => {
    // The server reaches its own private address; callers elsewhere could not.
    const { outcome } = await probe({ relayAddress: '10.0.0.5', dataFlows: true });
    expect(outcome).toEqual({
      kind: 'unusable-address',
      relayAddress: '10.0.0.5',
      scope: 'private',
    });
  });

  it('accepts a private relay address from a server on the local network', async () => {
    const lan = [{ urls: 'turn:192.168.1.5:3478', username: 'u', credential: 'p' }];
    const { outcome } = await probe({ relayAddress: '192.168.1.5', dataFlows: true }, lan);
    expect(outcome.kind).toBe('relayed');
  });

  it('fails with "no data" when a relay is allocated but nothing comes through in time', async () => {
    const { outcome, network } = await probe(
      { relayAddress: '203.0.113.10', dataFlows: false },
      PUBLIC_SERVER,
      DATA_TIMEOUT_MS,
    );
    expect(outcome).toEqual({
      kind: 'no-data',
      relayAddress: '203.0.113.10',
      waitedMs: DATA_TIMEOUT_MS,
    });
    expect(network.made.every((pc) => pc.closed)).toBe(true);
  });

  it('does not give up on data before its deadline', async () => {
    const network = fakeRelayNetwork({ relayAddress: '203.0.113.10' });
    let settled = false;
    const outcome = probeRelay({ iceServers: PUBLIC_SERVER, createPeerConnection: network.create });
    void outcome.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(DATA_TIMEOUT_MS - 1);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await outcome).kind).toBe('no-data');
  });

  it('passes on refusals (e.g. 401) when no relay is allocated', async () => {
    const { outcome } = await probe({ errorCode: 401 });
    expect(outcome).toEqual({
      kind: 'no-relay',
      errors: [{ code: 401, text: 'error 401' }],
      gatheringComplete: true,
    });
  });

  it('gives up on a silent server at the allocation deadline', async () => {
    const { outcome } = await probe({ gatheringEnds: false }, PUBLIC_SERVER, ALLOCATION_TIMEOUT_MS);
    expect(outcome).toEqual({ kind: 'no-relay', errors: [], gatheringComplete: false });
  });
});
