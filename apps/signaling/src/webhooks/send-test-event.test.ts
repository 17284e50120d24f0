import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TestReceiver, testSecret } from './test-receiver.ts';

/** `npm run webhook:test` as a real process against real receivers. */

const script = fileURLToPath(new URL('./send-test-event.ts', import.meta.url));
const receivers: TestReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout })));
}

describe('npm run webhook:test', () => {
  it('sends one signed test event to each endpoint and prints what each answered', async () => {
    const ok = await TestReceiver.start();
    const gone = await TestReceiver.start();
    receivers.push(ok, gone);
    gone.answer = () => ({ status: 410 });
    const secret = testSecret();
    const { code, stdout } = await run({
      WEBHOOK_URLS: `${ok.url('/a')},${gone.url('/b')}`,
      WEBHOOK_SECRET: secret,
      WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(new RegExp(`ok +${ok.url('/a')} \\([\\d.]+ ms\\): HTTP 204`));
    expect(stdout).toMatch(/FAILED +\S+\/b \([\d.]+ ms\): HTTP 410 \(410 Gone/);
    const event = TestReceiver.verify(secret, ok.requests[0]!);
    expect(event.type).toBe('webhook.test');
    expect(gone.requests).toHaveLength(1);
  });

  it('says that webhooks are off when WEBHOOK_URLS is unset', async () => {
    const { code } = await run({});
    expect(code).toBe(2);
  });
});
