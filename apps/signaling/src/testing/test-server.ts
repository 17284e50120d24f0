import { pino } from 'pino';
import { loadConfig, type Config } from '../config.ts';
import { startServer, type ParleyServer } from '../server.ts';

/** A real server on 127.0.0.1, port 0, with a silent logger; tests override what they exercise. */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<ParleyServer> {
  const config: Config = {
    ...loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      SIGNALING_SECRET: 'test-secret-that-is-long-enough',
    }),
    ...overrides,
  };
  return startServer({ config, logger: pino({ level: 'silent' }) });
}
