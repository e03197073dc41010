import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { bodyParser, giveBack } from '../../src/collector/ingest/body-reader.js';

/** Reads one body through the parser, as fastify would call it. */
function read(parts: Buffer[], contentLength?: number, limit = 1 << 20): Promise<Buffer> {
  const req = { headers: { 'content-length': contentLength?.toString() } } as FastifyRequest;
  return new Promise((resolve, reject) => {
    bodyParser(limit)(req, Readable.from(parts), (err, body) =>
      err ? reject(err) : resolve(body!),
    );
  });
}

test('a body is its chunks in order, and is refused past the limit or its Content-Length', async () => {
  const body = await read([Buffer.from('ab'), Buffer.from('cde')], 5);
  assert.equal(body.toString(), 'abcde');
  await assert.rejects(read([Buffer.alloc(8)], undefined, 4), {
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
  });
  await assert.rejects(read([Buffer.alloc(1)], 8, 4), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  await assert.rejects(read([Buffer.alloc(3)], 4), { code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' });
});

test('memory given back serves one later body, even when given back twice', async () => {
  const first = await read([Buffer.from('first')]);
  giveBack(first);
  giveBack(first);
  const second = await read([Buffer.from('second')]);
  const third = await read([Buffer.from('third')]);
  assert.equal(second.buffer, first.buffer, 'reused');
  assert.notEqual(third.buffer, second.buffer, 'never two bodies in flight on one memory');
  assert.equal(second.toString(), 'second');
  assert.equal(third.toString(), 'third');
  giveBack(Buffer.from('not from the reader'));
  const fourth = await read([Buffer.from('fourth')]);
  assert.notEqual(fourth.buffer, second.buffer);
  assert.notEqual(fourth.buffer, third.buffer);
});
