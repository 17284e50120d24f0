import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; text: string } | { ok: false; status: 400 | 413 };

/**
 * Reads a request body up to `maxBytes`. A larger one (by its Content-Length, or counted as it
 * arrives) is refused with 413 without buffering the rest: the caller answers and closes the
 * connection.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes)
    return Promise.resolve({ ok: false, status: 413 });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: BodyResult) => {
      req.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) return done({ ok: false, status: 413 });
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => done({ ok: true, text: Buffer.concat(chunks).toString() }));
    req.once('error', () => done({ ok: false, status: 400 }));
    req.once('aborted', () => done({ ok: false, status: 400 }));
  });
}

/** True for `application/json`, with or without parameters such as `charset=utf-8`. */
export function isJsonContentType(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  return type?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}
