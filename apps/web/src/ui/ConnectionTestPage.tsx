import { useState } from 'react';
import {
  runConnectionTest,
  summarize,
  type CheckId,
  type CheckResult,
} from '../call/connection-test.ts';
import type { SignalingTransport } from '../call/racing-socket.ts';
import { signalingUrlFor } from '../call/signaling-client.ts';
import {
  transportChoosingSocketFactory,
  transportSocketFactory,
} from '../call/signaling-transport-choice.ts';
import {
  probeTransports,
  summarizeTransports,
  type TransportProbeResult,
} from '../call/transport-probe.ts';

const TRANSPORT_CHECKS: Array<{ id: SignalingTransport; title: string; why: string }> = [
  { id: 'websocket', title: 'WebSocket', why: 'how calls normally reach the server' },
  {
    id: 'sse',
    title: 'HTTP streaming (SSE)',
    why: 'the fallback where WebSocket is blocked',
  },
  {
    id: 'long-poll',
    title: 'HTTP long-polling',
    why: 'the last resort, where streaming responses are held back',
  },
];

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

const TRANSPORT_STATUS_TEXT = { ok: 'Works', failed: 'Does not work' };
const STATUS_TEXT = { ok: 'Works', failed: 'Does not work', 'not-configured': 'Not offered' };

/** "Test my connection": runs the checks with the credentials a participant would get. */
export function ConnectionTestPage() {
  const [results, setResults] = useState<Partial<Record<CheckId, CheckResult>>>({});
  const [transports, setTransports] = useState<
    Partial<Record<SignalingTransport, TransportProbeResult>>
  >({});
  const [running, setRunning] = useState(false);
  const [problem, setProblem] = useState<string>();

  async function run() {
    setRunning(true);
    setResults({});
    setTransports({});
    setProblem(undefined);
    // The signalling probes join no room; they run beside the relay checks.
    const signalling = probeTransports(transportSocketFactory({ location: window.location }), (r) =>
      setTransports((t) => ({ ...t, [r.id]: r })),
    );
    try {
      await runConnectionTest(
        signalingUrlFor(window.location),
        (result) => setResults((r) => ({ ...r, [result.id]: result })),
        // Where WebSocket is blocked, the credentials still come over SSE or long-polling.
        transportChoosingSocketFactory({ location: window.location }),
      );
    } catch (error) {
      setProblem(`Could not run the relay checks: ${(error as Error).message}.`);
    } finally {
      await signalling;
      setRunning(false);
    }
  }

  const done = CHECKS.every((c) => results[c.id]);
  const transportsDone = TRANSPORT_CHECKS.every((c) => transports[c.id]);

  return (
    <main className="page connection-test">
      <h1>Test my connection</h1>
      <p>
        Checks each way your browser can reach this server to set up calls, whether it can reach the
        server’s connection helpers, and sends a few test messages through its relay and back to
        this page. It joins no call, and nothing is sent to anyone else.
      </p>
      <button type="button" className="primary" onClick={() => void run()} disabled={running}>
        {running ? 'Testing…' : 'Test my connection'}
      </button>
      {problem && <p role="alert">{problem}</p>}
      <h2>Reaching the server</h2>
      <ul aria-live="polite" aria-busy={running} aria-label="Signalling transports">
        {TRANSPORT_CHECKS.map(({ id, title, why }) => {
          const result = transports[id];
          return (
            <li
              key={id}
              data-transport={id}
              data-status={result?.status ?? 'pending'}
              data-reason={result?.reason}
              data-round-trip-ms={result?.roundTripMs}
            >
              <strong>
                {title}:{' '}
                {result ? TRANSPORT_STATUS_TEXT[result.status] : running ? 'checking…' : '—'}
              </strong>{' '}
              <span className="hint">({why})</span>
              {result && <p className="hint">{result.detail}</p>}
            </li>
          );
        })}
      </ul>
      {transportsDone && <p data-testid="transport-summary">{summarizeTransports(transports)}</p>}
      <h2>Sound and video</h2>
      <ul aria-live="polite" aria-busy={running} aria-label="Connection helpers">
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
