import type { FastifyInstance } from 'fastify';

/**
 * JSON bodies read as strict UTF-8: a body with a byte sequence that is not UTF-8 is refused
 * with a 400 saying where, instead of being read with U+FFFD in place of the bad bytes (an
 * item the client never sent). The text is then parsed by fastify's own JSON parser, which
 * refuses `__proto__` and `constructor.prototype` keys.
 */
export function parseJsonAsStrictUtf8(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  app.addContentTypeParser<Buffer>(
    'application/json',
    { parseAs: 'buffer' },
    (request, body, done) => {
      let text: string;
      try {
        text = decoder.decode(body);
      } catch {
        done(invalidUtf8(firstInvalidUtf8Byte(body)), undefined);
        return;
      }
      void parseJson(request, text, done);
    },
  );
}

interface InvalidUtf8Error extends Error {
  readonly statusCode: 400;
  readonly code: 'ERR_INVALID_UTF8';
}

function invalidUtf8(byte: number): InvalidUtf8Error {
  return Object.assign(
    new Error(
      `the body is not valid UTF-8${byte >= 0 ? ` (at byte offset ${byte})` : ''}: send JSON in UTF-8`,
    ),
    { statusCode: 400 as const, code: 'ERR_INVALID_UTF8' as const },
  );
}

/**
 * The offset of the first byte that starts no well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF); -1 when there is none. Only run on a
 * body the decoder refused, to say where.
 */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b < 0x80) length = 1;
    else if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}
