import { createRoomId } from '@parley/protocol';
import { afterEach } from 'vitest';
import { spawnServerProcess, type ServerProcess } from './server-process.ts';
import { startRedis, type RedisProcess } from './redis-process.ts';
import { TestClient } from './test-client.ts';

/**
 * Per-test scale-out cluster for a vitest file: a private redis-server and real server
 * processes sharing it (REDIS_URL), with real `ws` clients. Everything is stopped by PID after
 * each test.
 */

export type Instance = ServerProcess & { url: string };

export function useCluster() {
  let redis: RedisProcess | undefined;
  const instances: Instance[] = [];
  const clients: TestClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.terminate();
    for (const instance of instances.splice(0)) instance.kill();
    await redis?.stop();
    redis = undefined;
  });

  return {
    async redis(): Promise<RedisProcess> {
      redis ??= await startRedis();
      return redis;
    },
    /** A server process on the shared Redis, resolved once it listens and Redis answered it. */
    async instance(env: Record<string, string> = {}): Promise<Instance> {
      const { url } = await this.redis();
      const proc = spawnServerProcess({ env: { REDIS_URL: url, ...env } });
      // Registered at once, so a test that times out while it starts still has it killed.
      const instance = Object.assign(proc, { url: '' });
      instances.push(instance);
      instance.url = `http://127.0.0.1:${await proc.port}`;
      await proc.waitForLog((e) => e.msg === 'Redis reachable: ready');
      return instance;
    },
    async instances(count: number, env: Record<string, string> = {}): Promise<Instance[]> {
      await this.redis();
      return Promise.all(Array.from({ length: count }, () => this.instance(env)));
    },
    async client(instance: Instance): Promise<TestClient> {
      const c = await TestClient.connect(instance.url);
      clients.push(c);
      return c;
    },
    /** Two instances, Ada seated on `a` and Bob on `b` in one room, each aware of the other. */
    async callAcross(env: Record<string, string> = {}) {
      const [a, b] = await this.instances(2, env);
      const room = createRoomId();
      const ada = await this.client(a!);
      const adaJoined = await ada.join(room, 'Ada');
      const bob = await this.client(b!);
      const bobJoined = await bob.join(room, 'Bob');
      await ada.next('peer-joined');
      return { a: a!, b: b!, room, ada, bob, adaId: adaJoined.selfId, bobId: bobJoined.selfId };
    },
  };
}

export async function readiness(instance: Instance): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${instance.url}/readyz`);
  return { status: res.status, body: await res.json() };
}
