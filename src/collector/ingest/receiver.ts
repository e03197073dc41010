import { gunzipSync, inflateSync } from 'node:zlib';
import fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Type } from 'protobufjs';
import { CollectorError, toErrorReply } from '../errors.js';
import { bodyParser, giveBack } from './body-reader.js';
import { decodeOtlpJson } from './otlp-json.js';
import type { DecodedExport } from './otlp-json.js';
import { decodeOtlpProtobuf } from './otlp-protobuf.js';
import { decodeOtlpMetricsJson, decodeOtlpMetricsProtobuf } from './otlp-metrics.js';
import { ExportMetricsServiceResponse, ExportTraceServiceResponse } from './otlp-schema.js';
import type { MetricsStore } from '../store/metrics-store.js';
import type { TraceStore } from '../store/trace-store.js';

export const OTLP_TRACES_PATH = '/v1/traces';
export const OTLP_METRICS_PATH = '/v1/metrics';

export interface ReceiverOptions {
  readonly store: TraceStore;
  readonly metrics: MetricsStore;
  /** Largest accepted request body, before and after decompression. */
  readonly bodyLimitBytes: number;
}

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/**
 * The OTLP/HTTP receiver: `POST /v1/traces` and `POST /v1/metrics` in protobuf or JSON, gzip or
 * not. The whole request is decoded and checked before anything is stored, so a bad request
 * changes nothing.
 */
export function buildReceiver(opts: ReceiverOptions): FastifyInstance {
  const app = fastify({ logger: false, bodyLimit: opts.bodyLimitBytes });
  app.removeAllContentTypeParsers();
  // The body is read raw: which decoder applies is decided in the handler, after decompression.
  app.addContentTypeParser('*', bodyParser(opts.bodyLimitBytes));

  app.post(OTLP_TRACES_PATH, (req, reply) => {
    const { mediaType, decoded } = decodeTraces(req, opts.bodyLimitBytes);
    opts.store.addSpans(decoded.spans);
    return sendExportResponse(reply, mediaType, ExportTraceServiceResponse, {
      rejected: decoded.rejectedSpans,
      rejectedField: 'rejectedSpans',
      errorMessage: decoded.errorMessage,
    });
  });

  app.post(OTLP_METRICS_PATH, (req, reply) => {
    const { mediaType, body } = readBody(req, opts.bodyLimitBytes);
    const decoded =
      mediaType === PROTOBUF
        ? decodeOtlpMetricsProtobuf(body)
        : decodeOtlpMetricsJson(body.toString('utf8'));
    opts.metrics.add(decoded.processes);
    opts.metrics.addDropped(decoded.dropped);
    return sendExportResponse(reply, mediaType, ExportMetricsServiceResponse, {
      rejected: decoded.rejectedPoints,
      rejectedField: 'rejectedDataPoints',
      errorMessage: decoded.errorMessage,
    });
  });

  for (const path of [OTLP_TRACES_PATH, OTLP_METRICS_PATH]) {
    app.route({
      method: ['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD'],
      url: path,
      handler: (_req, reply) => {
        void reply.header('allow', 'POST');
        throw new CollectorError('METHOD_NOT_ALLOWED', `use POST ${path}`);
      },
    });
  }
  app.setNotFoundHandler((req) => {
    throw new CollectorError(
      'NOT_FOUND',
      `no ${req.method} ${req.url}; OTLP traces go to POST ${OTLP_TRACES_PATH}, metrics to POST ${OTLP_METRICS_PATH}`,
    );
  });
  app.setErrorHandler((err, _req, reply) => {
    const e = toErrorReply(err);
    return reply.status(e.status).type(JSON_TYPE).send({ error: e.code, message: e.message });
  });
  return app;
}

function decodeTraces(
  req: FastifyRequest,
  limitBytes: number,
): { mediaType: string; decoded: DecodedExport } {
  try {
    const { mediaType, body } = readBody(req, limitBytes);
    const decoded =
      mediaType === PROTOBUF ? decodeOtlpProtobuf(body) : decodeOtlpJson(body.toString('utf8'));
    return { mediaType, decoded };
  } finally {
    // The spans hold strings and numbers, no view of the body: its memory can serve the next.
    giveBack(req.body);
  }
}

/** The request body, decompressed, and which of the two encodings it claims to be. */
function readBody(
  req: FastifyRequest,
  limitBytes: number,
): { mediaType: typeof PROTOBUF | typeof JSON_TYPE; body: Buffer } {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== PROTOBUF && mediaType !== JSON_TYPE) {
    throw new CollectorError(
      'OTLP_UNSUPPORTED_MEDIA_TYPE',
      `unsupported Content-Type "${mediaType}"; send ${PROTOBUF} or ${JSON_TYPE}`,
    );
  }
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  return { mediaType, body: decompress(raw, req.headers['content-encoding'], limitBytes) };
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

interface Outcome {
  readonly rejected: number;
  readonly rejectedField: 'rejectedSpans' | 'rejectedDataPoints';
  readonly errorMessage: string;
}

/** Export*ServiceResponse: empty, or a partial success saying what was refused and why. */
function sendExportResponse(
  reply: FastifyReply,
  mediaType: string,
  responseType: Type,
  outcome: Outcome,
): FastifyReply {
  const { rejected, rejectedField, errorMessage } = outcome;
  if (mediaType === PROTOBUF) {
    const partialSuccess = rejected > 0 ? { [rejectedField]: rejected, errorMessage } : undefined;
    const bytes = responseType
      .encode(responseType.create(partialSuccess ? { partialSuccess } : {}))
      .finish();
    return reply.type(PROTOBUF).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  // OTLP/JSON writes int64 as a decimal string.
  return reply
    .type(JSON_TYPE)
    .send(
      rejected > 0 ? { partialSuccess: { [rejectedField]: String(rejected), errorMessage } } : {},
    );
}
