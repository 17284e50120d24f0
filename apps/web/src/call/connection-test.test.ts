import { describe, expect, it } from 'vitest';
import { DEFAULT_RELAY_PORTS } from './relay-probe.ts';
import {
  relayResult,
  serversForChecks,
  summarize,
  type CheckResult,
  type FailureReason,
} from './connection-test.ts';

describe('serversForChecks', () => {
  it('gives each check only its own URLs, with the credential kept alongside', () => {
    const byCheck = serversForChecks([
      { urls: ['stun:t.example:3478'] },
      {
        urls: [
          'turn:t.example:3478?transport=udp',
          'turn:t.example:3478?transport=tcp',
          'turns:t.example:5349',
        ],
        username: '1700000000:peer',
        credential: 'pw',
      },
    ]);
    expect(byCheck.stun).toEqual([{ urls: ['stun:t.example:3478'] }]);
    expect(byCheck['turn-udp']).toEqual([
      {
        urls: ['turn:t.example:3478?transport=udp'],
        username: '1700000000:peer',
        credential: 'pw',
      },
    ]);
    expect(byCheck['turn-tcp']).toEqual([
      {
        urls: ['turn:t.example:3478?transport=tcp', 'turns:t.example:5349'],
        username: '1700000000:peer',
        credential: 'pw',
      },
    ]);
  });

  it('leaves a check empty (not configured) when the server offers nothing for it', () => {
    expect(serversForChecks([])).toEqual({ stun: [], 'turn-udp': [], 'turn-tcp': [] });
  });
});

describe('relayResult', () => {
  it('works: says data went through, with the round trip', () => {
    const result = relayResult('turn-udp', {
      kind: 'relayed',
      relayAddress: '203.0.113.10',
      roundTripMs: 12,
      messages: 5,
    });
    expect(result).toMatchObject({ status: 'ok', roundTripMs: 12 });
    expect(result.detail).toContain('Data went through the relay (203.0.113.10)');
    expect(result.detail).toContain('12 ms round trip');
  });

  it('a private relay address points the admin at TURN_EXTERNAL_IP', () => {
    const result = relayResult('turn-tcp', {
      kind: 'unusable-address',
      relayAddress: '10.0.0.5',
      scope: 'private',
    });
    expect(result).toMatchObject({ status: 'failed', reason: 'private-relay-address' });
    expect(result.detail).toContain('a private address (10.0.0.5)');
    expect(result.detail).toContain('TURN_EXTERNAL_IP');
  });

  it('no data within the deadline points at the relay port range', () => {
    const result = relayResult('turn-udp', {
      kind: 'no-data',
      relayAddress: '203.0.113.10',
      waitedMs: 10_000,
    });
    expect(result).toMatchObject({ status: 'failed', reason: 'relay-ports-closed' });
    expect(result.detail).toContain('no data came through it within 10 s');
    expect(result.detail).toContain(`UDP ${DEFAULT_RELAY_PORTS}`);
  });

  it('keeps the refusal reasons of allocation (401, unreachable)', () => {
    expect(
      relayResult('turn-udp', {
        kind: 'no-relay',
        errors: [{ code: 401, text: 'Unauthorized' }],
        gatheringComplete: true,
      }),
    ).toMatchObject({ status: 'failed', reason: 'credentials-refused' });
    const silent = relayResult('turn-udp', {
      kind: 'no-relay',
      errors: [],
      gatheringComplete: false,
    });
    expect(silent).toMatchObject({ status: 'failed', reason: 'unreachable' });
    expect(silent.detail).toContain('Unreachable');
  });
});

describe('summarize', () => {
  const ok = (id: CheckResult['id']): CheckResult => ({ id, status: 'ok', detail: '' });
  const failed = (id: CheckResult['id'], reason: FailureReason): CheckResult => ({
    id,
    status: 'failed',
    detail: '',
    reason,
  });

  it('relay over UDP works: calls connect', () => {
    expect(summarize({ 'turn-udp': ok('turn-udp'), 'turn-tcp': ok('turn-tcp') })).toMatch(
      /^Calls should connect/,
    );
  });

  it('only TCP works: says so, and that calls will be worse', () => {
    const text = summarize({
      'turn-udp': failed('turn-udp', 'relay-ports-closed'),
      'turn-tcp': ok('turn-tcp'),
    });
    expect(text).toMatch(/^Only the relay over TCP works/);
    expect(text).toContain('worse');
  });

  it('a misconfigured relay sends the user to the admin', () => {
    expect(
      summarize({
        'turn-udp': failed('turn-udp', 'private-relay-address'),
        'turn-tcp': failed('turn-tcp', 'private-relay-address'),
      }),
    ).toContain('Show this page to the server’s admin');
  });

  it('no relay at all: direct connections only', () => {
    expect(
      summarize({
        'turn-udp': { id: 'turn-udp', status: 'not-configured', detail: '' },
        'turn-tcp': { id: 'turn-tcp', status: 'not-configured', detail: '' },
      }),
    ).toMatch(/^Calls will work where a direct connection is possible/);
  });
});
