import { describe, expect, it } from 'vitest';
import { serversForChecks } from './connection-test.ts';

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
