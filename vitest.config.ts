import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'infra/**/*.test.ts',
      'scripts/**/*.test.{ts,mjs}',
      'bench/lib/**/*.test.ts',
    ],
    // A stray .only must fail the run, not silently skip the rest.
    allowOnly: false,
    // Integration tests spawn real servers; keep the 2-core machine from thrashing.
    maxWorkers: 2,
    testTimeout: 20_000,
    // beforeAll hooks start real servers (coturn, redis-server); under CI load that can pass
    // vitest's default 10 s, which would hide the hook's own error and the server's log.
    hookTimeout: 20_000,
  },
});
