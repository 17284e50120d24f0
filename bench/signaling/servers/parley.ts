/**
 * Parley's production server: the esbuild bundle `apps/signaling/dist/main.js`, exactly as
 * `npm start` runs it, configured only through its environment (see PARLEY_BENCH_ENV).
 * Importing it runs it; its top-level await resolves once it listens.
 */
export const PARLEY_ENTRY = process.env.PARLEY_BENCH_ENTRY
  ? // Another build of the same server, e.g. of an older commit for a before/after comparison.
    new URL(`file://${process.env.PARLEY_BENCH_ENTRY}`)
  : new URL('../../../apps/signaling/dist/main.js', import.meta.url);

/**
 * The bench's settings. Everything else is the production default. The per-connection and
 * per-IP limits guard against one abusive client; the bench is one client address driving
 * thousands of connections at up to tens of thousands of messages a second, so they are raised
 * to their maximum to measure the relay path rather than the limiter's refusals.
 */
export const PARLEY_BENCH_ENV = {
  HOST: '127.0.0.1',
  STATIC_DIR: '',
  MESSAGE_BURST: '100000',
  MESSAGES_PER_SECOND: '100000',
  JOIN_BURST_PER_IP: '100000',
  JOINS_PER_SECOND_PER_IP: '100000',
  MAX_CONNECTIONS_PER_IP: '1000000',
} as const;

export async function startParley(port: number): Promise<number> {
  process.env.PORT = String(port);
  Object.assign(process.env, PARLEY_BENCH_ENV);
  await import(PARLEY_ENTRY.href);
  return port;
}
