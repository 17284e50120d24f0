import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Webhook metrics, registered on a prom-client registry (the default one unless a test passes
 * its own); served by metrics-server.ts when METRICS_PORT is set.
 */
export interface WebhookMetrics {
  events: Counter<'type'>;
  attempts: Counter<'outcome'>;
  latency: Histogram;
  depth: Gauge;
  disabled: Gauge;
}

export function createWebhookMetrics(registry: Registry, depth: () => number): WebhookMetrics {
  const registers = [registry];
  return {
    events: new Counter({
      name: 'parley_webhook_events_total',
      help: 'Lifecycle events accepted by the outbox, by type',
      labelNames: ['type'],
      registers,
    }),
    attempts: new Counter({
      name: 'parley_webhook_attempts_total',
      help: 'Delivery attempts by outcome: delivered (2xx), failed (any other answer, timeout or network error), refused (SSRF rules)',
      labelNames: ['outcome'],
      registers,
    }),
    latency: new Histogram({
      name: 'parley_webhook_delivery_latency_seconds',
      help: 'From the event happening to its 2xx acknowledgement, retries included',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600, 36000],
      registers,
    }),
    depth: new Gauge({
      name: 'parley_webhook_outbox_depth',
      help: 'Undelivered (event, endpoint) pairs in the outbox',
      registers,
      collect() {
        this.set(depth());
      },
    }),
    disabled: new Gauge({
      name: 'parley_webhook_endpoints_disabled',
      help: 'Endpoints disabled (410 Gone, or the retry schedule exhausted) until the next start',
      registers,
    }),
  };
}
