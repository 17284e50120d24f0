import { useState } from 'react';
import {
  runConnectionTest,
  summarize,
  type CheckId,
  type CheckResult,
} from '../call/connection-test.ts';
import { signalingUrlFor } from '../call/signaling-client.ts';
import { transportChoosingSocketFactory } from '../call/signaling-transport-choice.ts';

const CHECKS: Array<{ id: CheckId; title: string; why: string }> = [
  { id: 'stun', title: 'STUN', why: 'finds your public address, for direct connections' },
  {
    id: 'turn-udp',
    title: 'Relay over UDP',
    why: 'the usual fallback when a direct connection fails; a few messages are sent through it',
  },
  {
    id: 'turn-tcp',
    title: 'Relay over TCP',
    why: 'the fallback for networks that block UDP; a few messages are sent through it',
  },
];

const STATUS_TEXT = { ok: 'Works', failed: 'Does not work', 'not-configured': 'Not offered' };

/** "Test my connection": runs the checks with the credentials a participant would get. */
export function ConnectionTestPage() {
  const [results, setResults] = useState<Partial<Record<CheckId, CheckResult>>>({});
  const [running, setRunning] = useState(false);
  const [problem, setProblem] = useState<string>();

  async function run() {
    setRunning(true);
    setResults({});
    setProblem(undefined);
    try {
      await runConnectionTest(
        signalingUrlFor(window.location),
        (result) => setResults((r) => ({ ...r, [result.id]: result })),
        // Where WebSocket is blocked, the credentials still come over SSE or long-polling.
        transportChoosingSocketFactory({ location: window.location }),
      );
    } catch (error) {
      setProblem(`Could not run the test: ${(error as Error).message}.`);
    } finally {
      setRunning(false);
    }
  }

  const done = CHECKS.every((c) => results[c.id]);

  return (
    <main className="page connection-test">
      <h1>Test my connection</h1>
      <p>
        Checks whether your browser can reach this server’s connection helpers, and sends a few test
        messages through its relay and back to this page. Nothing is sent to anyone else.
      </p>
      <button type="button" className="primary" onClick={() => void run()} disabled={running}>
        {running ? 'Testing…' : 'Test my connection'}
      </button>
      {problem && <p role="alert">{problem}</p>}
      <ul aria-live="polite" aria-busy={running}>
        {CHECKS.map(({ id, title, why }) => {
          const result = results[id];
          return (
            <li
              key={id}
              data-check={id}
              data-status={result?.status ?? 'pending'}
              data-reason={result?.reason}
            >
              <strong>
                {title}: {result ? STATUS_TEXT[result.status] : running ? 'checking…' : '—'}
              </strong>{' '}
              <span className="hint">({why})</span>
              {result && (
                <p className="hint">
                  {result.detail}
                  {result.ms !== undefined && ` (${result.ms} ms)`}
                </p>
              )}
            </li>
          );
        })}
      </ul>
      {done && (
        <p role="status" data-testid="connection-test-summary">
          {summarize(results)}
        </p>
      )}
      <a href="/">Back to Parley</a>
    </main>
  );
}
