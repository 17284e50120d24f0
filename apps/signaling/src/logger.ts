import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; one line per event, ready for `docker logs` or a collector. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'parley-signaling' } });
}
