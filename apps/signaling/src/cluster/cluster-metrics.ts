import { Counter, Histogram, register, type Registry } from 'prom-client';

/** Redis and cross-instance metrics; served by metrics-server.ts when METRICS_PORT is set. */
export interface ClusterMetrics {
  redisRoundTrip: Histogram;
  redisErrors: Counter;
  relayLatency: Histogram;
}

export function createClusterMetrics(registry: Registry = register): ClusterMetrics {
  const registers = [registry];
  return {
    redisRoundTrip: new Histogram({
      name: 'parley_redis_roundtrip_seconds',
      help: "Round trip of this instance's lease heartbeat to Redis (one pipelined batch)",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
      registers,
    }),
    redisErrors: new Counter({
      name: 'parley_redis_errors_total',
      help: 'Redis errors: failed or unanswered heartbeats, failed publishes, connection errors',
      registers,
    }),
    relayLatency: new Histogram({
      name: 'parley_relay_latency_seconds',
      help: 'Cross-instance relay: from publish on one instance to arrival on this one (same-host clocks)',
      buckets: [0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.1, 1],
      registers,
    }),
  };
}
