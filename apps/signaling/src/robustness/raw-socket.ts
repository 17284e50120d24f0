import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { CLOSE_CODES } from '@parley/protocol';

/**
 * WebSocket frames no `ws` client would send (unmasked, reserved opcodes, broken lengths),
 * written over a raw TCP socket after a hand-made handshake. Resolves with the close code of
 * the server's close frame, or undefined if it hung up without one.
 */
export function sendBrokenFrame(port: number, frame: Uint8Array): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let upgraded = false;
    socket.on('connect', () => {
      socket.write(
        [
          'GET /ws HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          `Origin: http://127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Version: 13',
          '',
          '',
        ].join('\r\n'),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!upgraded) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = received.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          return reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
        }
        upgraded = true;
        received = received.subarray(end + 4);
        socket.write(frame);
      }
      // A server close frame: 0x88, a 7-bit length (close frames are short), the code.
      if (received.length >= 4 && received[0] === 0x88) {
        socket.destroy();
        resolve(received.readUInt16BE(2));
      }
    });
    socket.on('error', () => undefined); // a reset after the close is expected
    socket.on('close', () => resolve(undefined));
  });
}

const mask = [1, 2, 3, 4];

/** Frames that break RFC 6455, with the close code `ws` answers each with. */
export const BROKEN_FRAMES: Array<{ kind: string; frame: Uint8Array; closeCode: number }> = [
  {
    kind: 'unmasked client frame',
    frame: new Uint8Array([0x81, 0x02, 0x68, 0x69]),
    closeCode: CLOSE_CODES.protocolError,
  },
  {
    kind: 'reserved opcode 3',
    frame: new Uint8Array([0x83, 0x80, ...mask]),
    closeCode: CLOSE_CODES.protocolError,
  },
  {
    kind: 'RSV1 without an extension',
    frame: new Uint8Array([0xc1, 0x80, ...mask]),
    closeCode: CLOSE_CODES.protocolError,
  },
  {
    kind: 'fragmented ping',
    frame: new Uint8Array([0x09, 0x80, ...mask]),
    closeCode: CLOSE_CODES.protocolError,
  },
  {
    kind: 'ping over 125 bytes',
    frame: new Uint8Array([0x89, 0xfe, 0x00, 0x7e, ...mask]),
    closeCode: CLOSE_CODES.protocolError,
  },
  {
    kind: 'continuation with nothing to continue',
    frame: new Uint8Array([0x80, 0x80, ...mask]),
    closeCode: CLOSE_CODES.protocolError,
  },
  {
    kind: '64-bit length over 2^53',
    frame: new Uint8Array([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, ...mask]),
    closeCode: CLOSE_CODES.messageTooBig,
  },
];
