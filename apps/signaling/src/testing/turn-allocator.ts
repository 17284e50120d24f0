import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/**
 * A minimal TURN client for tests: one UDP Allocate with long-term credentials (RFC 5766/8489),
 * kept open so the allocation counts against coturn's quotas until `release()`. coturn's own
 * turnutils_uclient frees its allocations when it exits, so it cannot hold several at once
 * across credentials; this can.
 */

const MAGIC_COOKIE = 0x2112a442;
const ALLOCATE_REQUEST = 0x0003;
const ALLOCATE_SUCCESS = 0x0103;
const ATTR = {
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  realm: 0x0014,
  nonce: 0x0015,
  requestedTransport: 0x0019,
} as const;
const UDP = 17;

export interface Allocation {
  /** 200 on success, else the STUN error code (401, 486...). */
  status: number;
  release(): Promise<void>;
}

export async function allocate(
  server: { host: string; port: number },
  credential: { username: string; credential: string },
): Promise<Allocation> {
  const socket = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
  const release = () => new Promise<void>((resolve) => socket.close(() => resolve()));
  try {
    // The first Allocate carries no credentials; the 401 brings the realm and nonce.
    const challenge = await exchange(socket, server, allocateRequest([]));
    if (challenge.status !== 401) return { status: challenge.status, release };
    const realm = challenge.attributes.get(ATTR.realm)!;
    const nonce = challenge.attributes.get(ATTR.nonce)!;
    const key = createHash('md5')
      .update(`${credential.username}:${realm.toString()}:${credential.credential}`)
      .digest();
    const request = allocateRequest(
      [
        [ATTR.username, Buffer.from(credential.username)],
        [ATTR.realm, realm],
        [ATTR.nonce, nonce],
      ],
      key,
    );
    const answer = await exchange(socket, server, request);
    return { status: answer.status, release };
  } catch (error) {
    await release();
    throw error;
  }
}

function allocateRequest(attributes: Array<[number, Buffer]>, integrityKey?: Buffer): Buffer {
  const transport = Buffer.from([UDP, 0, 0, 0]);
  const body = Buffer.concat(
    [[ATTR.requestedTransport, transport] as [number, Buffer], ...attributes].map(([t, v]) =>
      attribute(t, v),
    ),
  );
  const header = Buffer.alloc(20);
  header.writeUInt16BE(ALLOCATE_REQUEST, 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  randomBytes(12).copy(header, 8);
  if (!integrityKey) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  // MESSAGE-INTEGRITY covers the message with its length already counting the 24-byte attribute.
  header.writeUInt16BE(body.length + 24, 2);
  const hmac = createHmac('sha1', integrityKey)
    .update(Buffer.concat([header, body]))
    .digest();
  return Buffer.concat([header, body, attribute(ATTR.messageIntegrity, hmac)]);
}

function attribute(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

interface Answer {
  status: number;
  attributes: Map<number, Buffer>;
}

function exchange(socket: Socket, server: { host: string; port: number }, request: Buffer) {
  return new Promise<Answer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer from the TURN server')), 5000);
    socket.once('message', (message) => {
      clearTimeout(timer);
      resolve(parse(message));
    });
    socket.send(request, server.port, server.host);
  });
}

function parse(message: Buffer): Answer {
  const type = message.readUInt16BE(0);
  const attributes = new Map<number, Buffer>();
  for (let at = 20; at + 4 <= message.length;) {
    const attrType = message.readUInt16BE(at);
    const length = message.readUInt16BE(at + 2);
    attributes.set(attrType, message.subarray(at + 4, at + 4 + length));
    at += 4 + Math.ceil(length / 4) * 4;
  }
  if (type === ALLOCATE_SUCCESS) return { status: 200, attributes };
  const error = attributes.get(ATTR.errorCode);
  const status = error ? (error[2]! & 0x7) * 100 + error[3]! : 0;
  return { status, attributes };
}
