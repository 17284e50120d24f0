import { Counter, Gauge, register, type Registry } from 'prom-client';
import type { SignalingHub } from '../hub/signaling-hub.ts';

/**
 * The hub's own figures, read when Prometheus scrapes (nothing on the relay path but a `++`).
 * Per instance: with scale-out, sum them over instances. Cross-instance latency and Redis
 * health are in cluster/cluster-metrics.ts.
 */
export function registerSignalingMetrics(hub: SignalingHub, registry: Registry = register): void {
  const registers = [registry];
  new Gauge({
    name: 'parley_connections',
    help: 'Client connections open on this instance, seated or not',
    registers,
    collect() {
      this.set(hub.openConnections);
    },
  });
  new Gauge({
    name: 'parley_participants',
    help: 'Seated participants connected to this instance',
    registers,
    collect() {
      this.set(hub.connectedPeers);
    },
  });
  new Gauge({
    name: 'parley_rooms',
    help: 'Rooms with a participant (or a newcomer knocking) connected to this instance',
    registers,
    collect() {
      this.set(hub.bus.localRooms);
    },
  });
  new Counter({
    name: 'parley_relayed_messages_total',
    help: 'Signals relayed: to a connection on this instance (local), handed to Redis for another instance (out), delivered to a connection here from another instance (in)',
    labelNames: ['path'],
    registers,
    collect() {
      // Counters are kept as plain numbers by the hub and the bus; copy them at scrape time.
      this.reset();
      this.inc({ path: 'local' }, hub.relayed.local);
      this.inc({ path: 'out' }, hub.relayed.toOtherInstances);
      this.inc({ path: 'in' }, hub.bus.receivedFromOtherInstances ?? 0);
    },
  });
}
