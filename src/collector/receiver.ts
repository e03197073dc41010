import { gunzipSync, inflateSync } from 'node:zlib';
import fastify from 'fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CollectorError, toErrorReply } from './errors.js';
import { decodeOtlpJson, decodeOtlpProtobuf } from './otlp-decode.js';
import type { DecodedExport } from './otlp-decode.js';
import { ExportTraceServiceResponse } from './otlp-schema.js';
import type { TraceStore } from './store.js';

export const OTLP_TRACES_PATH = '/v1/traces';

export interface ReceiverOptions {
  readonly store: TraceStore;
  /** Largest accepted request body, before and after decompression. */
  readonly bodyLimitBytes: number;
}

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/**
 * The OTLP/HTTP trace receiver: `POST /v1/traces` in protobuf or JSON, gzip or not. The whole
 * request is decoded and checked before anything is stored, so a bad request changes nothing.
 */
export function buildReceiver(opts: ReceiverOptions): FastifyInstance {
  const app = fastify({ logger: false, bodyLimit: opts.bodyLimitBytes });
  app.removeAllContentTypeParsers();
  // The body is read raw: which decoder applies is decided in the handler, after decompression.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.post(OTLP_TRACES_PATH, (req, reply) => {
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== PROTOBUF && mediaType !== JSON_TYPE) {
      throw new CollectorError(
        'OTLP_UNSUPPORTED_MEDIA_TYPE',
        `unsupported Content-Type "${mediaType}"; send ${PROTOBUF} or ${JSON_TYPE}`,
      );
    }
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const body = decompress(raw, req.headers['content-encoding'], opts.bodyLimitBytes);
    const decoded =
      mediaType === PROTOBUF ? decodeOtlpProtobuf(body) : decodeOtlpJson(body.toString('utf8'));
    opts.store.addSpans(decoded.spans);
    return sendExportResponse(reply, mediaType, decoded);
  });

  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD'],
    url: OTLP_TRACES_PATH,
    handler: (_req, reply) => {
      void reply.header('allow', 'POST');
      throw new CollectorError('METHOD_NOT_ALLOWED', `use POST ${OTLP_TRACES_PATH}`);
    },
  });
  app.setNotFoundHandler((req) => {
    throw new CollectorError(
      'NOT_FOUND',
      `no ${req.method} ${req.url}; OTLP traces go to POST ${OTLP_TRACES_PATH}`,
    );
  });
  app.setErrorHandler((err, _req, reply) => {
    const e = toErrorReply(err);
    return reply.status(e.status).type(JSON_TYPE).send({ error: e.code, message: e.message });
  });
  return app;
}

function decompress(body: Buffer, encoding: string | undefined, limitBytes: number): Buffer {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return body;
  if (name !== 'gzip' && name !== 'deflate') {
    throw new CollectorError(
      'OTLP_UNSUPPORTED_ENCODING',
      `unsupported Content-Encoding "${name}"; send gzip or none`,
    );
  }
  try {
    const opts = { maxOutputLength: limitBytes };
    return name === 'gzip' ? gunzipSync(body, opts) : inflateSync(body, opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new CollectorError(
        'OTLP_BODY_TOO_LARGE',
        `decompressed body is larger than the limit of ${limitBytes} bytes`,
      );
    }
    throw new CollectorError(
      'OTLP_MALFORMED_BODY',
      `malformed ${name} body: ${(err as Error).message}`,
    );
  }
}

/** ExportTraceServiceResponse in the request's encoding; partial_success only if spans were refused. */
function sendExportResponse(
  reply: FastifyReply,
  mediaType: string,
  decoded: DecodedExport,
): FastifyReply {
  const partialSuccess =
    decoded.rejectedSpans > 0
      ? { rejectedSpans: decoded.rejectedSpans, errorMessage: decoded.errorMessage }
      : undefined;
  if (mediaType === PROTOBUF) {
    const bytes = ExportTraceServiceResponse.encode(
      ExportTraceServiceResponse.create(partialSuccess ? { partialSuccess } : {}),
    ).finish();
    return reply.type(PROTOBUF).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  return reply.type(JSON_TYPE).send(
    partialSuccess
      ? {
          partialSuccess: {
            rejectedSpans: String(partialSuccess.rejectedSpans),
            errorMessage: partialSuccess.errorMessage,
          },
        }
      : {},
  );
}
