import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { AwaitedCondition } from '../testing/awaited-condition.ts';

/** A real pino logger whose JSON lines tests can read and await. */
export class LogCapture {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly logger: Logger;
  private readonly conditions = new AwaitedCondition();

  constructor(level = 'debug') {
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const text of chunk.toString().split('\n').filter(Boolean)) {
          this.lines.push(JSON.parse(text) as Record<string, unknown>);
        }
        this.conditions.recheck();
        done();
      },
    });
    this.logger = pino({ level }, stream);
  }

  matching(msg: string | RegExp, fields: Record<string, unknown> = {}) {
    return this.lines.filter(
      (line) =>
        (typeof msg === 'string' ? line.msg === msg : msg.test(String(line.msg))) &&
        Object.entries(fields).every(([k, v]) => line[k] === v),
    );
  }

  /** Resolves with the first line (past or future) with this message and these fields. */
  next(msg: string | RegExp, fields: Record<string, unknown> = {}) {
    return this.until(() => this.matching(msg, fields)[0]);
  }

  until<T>(done: () => T | undefined | false): Promise<T> {
    return this.conditions.until(done);
  }
}
