import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY = 64 * 1024;

/** A request the admin endpoint refuses, in the lab's one JSON shape. */
export class AdminRefusal extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The body as JSON; a refusal (400) saying what was expected when it is not JSON. */
export async function readJson(req: IncomingMessage, expected: string): Promise<unknown> {
  const text = await readBody(req);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AdminRefusal(
      400,
      'ERR_BAD_REQUEST',
      `body must be JSON ${expected}: ${(err as Error).message}`,
    );
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new AdminRefusal(413, 'ERR_BODY_TOO_LARGE', `body over ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** An error in the lab's one JSON shape: {statusCode, code, error, message}. */
export function fail(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { statusCode: status, code, error: STATUS_CODES[status] ?? 'Error', message });
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-content-type-options': 'nosniff',
  });
  res.end(`${JSON.stringify(body)}\n`);
}
