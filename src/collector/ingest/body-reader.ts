import type { Readable } from 'node:stream';
import { errorCodes } from 'fastify';
import type { FastifyRequest } from 'fastify';

/**
 * Request bodies read into reused memory. fastify's buffer parser concatenates each body into
 * a fresh buffer: for an export of a few hundred spans that is fresh pages every request, and
 * their page faults cost more than the copy. Here the chunks are copied, as they are there, at
 * the end of the body, but into a buffer the previous requests gave back. A buffer is given
 * back once what was read from it is decoded (strings and numbers, never views of it); one
 * that is not given back is garbage collected like any other.
 */

/** Smallest buffer made, so that bodies a little longer than the last do not each make one. */
const MIN_BYTES = 256 * 1024;
/** Larger bodies get a buffer of their own, not kept. */
const MAX_KEPT_BYTES = 4 * 1024 * 1024;
/** Buffers kept for reuse: one per request in flight, for a few senders. */
const MAX_KEPT = 8;

const free: ArrayBuffer[] = [];
/** The memory this module handed out, so that only it is ever taken back. */
const handedOut = new WeakSet<ArrayBuffer>();

function take(length: number): Buffer {
  let memory = free.pop();
  // One too small is dropped: bodies of this sender have grown.
  if (memory === undefined || memory.byteLength < length) {
    memory = new ArrayBuffer(Math.max(length, MIN_BYTES));
  }
  if (memory.byteLength <= MAX_KEPT_BYTES) handedOut.add(memory);
  return Buffer.from(memory, 0, length);
}

/**
 * Gives a body read by `readBodyInto` back for reuse: call it once, when nothing read from the
 * body refers to its memory. Anything else is ignored.
 */
export function giveBack(body: unknown): void {
  if (!Buffer.isBuffer(body)) return;
  const memory = body.buffer as ArrayBuffer;
  if (!handedOut.has(memory)) return;
  // Out of the set until it is handed out again: a second give-back of one body is ignored.
  handedOut.delete(memory);
  if (free.length < MAX_KEPT) free.push(memory);
}

type Done = (err: Error | null, body?: Buffer) => void;

/**
 * A fastify content-type parser (`(request, payload, done)`): the body as one Buffer, refused
 * as fastify's own parser refuses it when longer than `limitBytes` or not as long as its
 * Content-Length says.
 */
export function bodyParser(
  limitBytes: number,
): (req: FastifyRequest, payload: Readable, done: Done) => void {
  return (req, payload, done) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limitBytes) {
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onEnd);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        stop();
        done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (err?: Error & { statusCode?: number }) => {
      stop();
      if (err) {
        if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
        done(err);
        return;
      }
      if (!Number.isNaN(declared) && received !== declared) {
        done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
        return;
      }
      const body = take(received);
      let at = 0;
      for (const chunk of chunks) at += chunk.copy(body, at);
      done(null, body);
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onEnd);
    payload.resume();
  };
}
