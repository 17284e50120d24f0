import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks v1 headers, signed with the official library. With several secrets (a key
 * rotation in progress) the signature header lists one `v1,<sig>` per secret, space-separated,
 * and a receiver holding any one of them verifies the delivery.
 */
export class Signer {
  private readonly keys: Webhook[];

  constructor(secrets: readonly string[]) {
    this.keys = secrets.map((secret) => new Webhook(secret));
  }

  headers(id: string, body: string, at: Date = new Date()): Record<string, string> {
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.keys.map((key) => key.sign(id, at, body)).join(' '),
    };
  }
}
