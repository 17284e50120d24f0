import { ConfigError, loadConfig } from '../config.ts';
import { newEventId } from './events.ts';
import { attemptDelivery } from './pinned-request.ts';
import { Signer } from './signer.ts';
import { endpointLabel } from './webhook-config.ts';

/**
 * `npm run webhook:test` (or, in the container, `node apps/signaling/dist/webhook-test.js`):
 * sends one signed `webhook.test` event to every configured endpoint, through the same SSRF
 * checks, signing and timeout as real deliveries, and prints what each answered. It does not
 * touch the outbox. Exit code 0 when every endpoint answered 2xx.
 */

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`webhook:test: ${error.message}`);
  process.exit(2);
}
const webhooks = config.webhooks;
if (!webhooks) {
  console.error('webhook:test: WEBHOOK_URLS is not set, so webhooks are off. Nothing to test.');
  process.exit(2);
}

const event = {
  id: newEventId(),
  type: 'webhook.test',
  timestamp: new Date().toISOString(),
  data: { message: 'A test event from Parley: if you can read this, the endpoint works.' },
};
const body = JSON.stringify(event);
const signer = new Signer(webhooks.secrets);
console.log(
  `Sending ${event.type} ${event.id} to ${webhooks.urls.length} endpoint(s), signed with ${webhooks.secrets.length} secret(s)${webhooks.allowPrivate ? ', private addresses allowed' : ''}:`,
);

let failures = 0;
for (const url of webhooks.urls) {
  const result = await attemptDelivery(url, body, signer.headers(event.id, body), {
    timeoutMs: webhooks.timeoutMs,
    allowPrivate: webhooks.allowPrivate,
  });
  const label = endpointLabel(url);
  if (result.outcome === 'delivered') {
    console.log(`  ok      ${label} (${result.ms} ms): HTTP ${result.status}`);
    continue;
  }
  failures += 1;
  const status = 'status' in result && result.status !== undefined ? `HTTP ${result.status}` : '';
  const detail = [status, result.error].filter(Boolean).join(', ');
  const hint =
    result.outcome === 'refused'
      ? ' (refused by the SSRF rules; see docs/webhooks.md)'
      : 'status' in result && result.status === 410
        ? ' (410 Gone: Parley would disable this endpoint)'
        : '';
  console.log(`  FAILED  ${label} (${result.ms} ms): ${detail}${hint}`);
}
console.log(failures === 0 ? 'All endpoints answered 2xx.' : `${failures} endpoint(s) failed.`);
process.exit(failures === 0 ? 0 : 1);
