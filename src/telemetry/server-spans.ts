import type { IncomingMessage, RequestListener } from 'node:http';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Span, Tracer } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { isHousekeeping } from './housekeeping.js';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from './semconv.js';

const SERVER_SPAN = Symbol('tracelab.serverSpan');
const UNTRACED = suppressTracing(ROOT_CONTEXT);
type WithSpan = IncomingMessage & { [SERVER_SPAN]?: Span };

/**
 * Wraps a server's request listener: each request (health checks and housekeeping apart) is a
 * SERVER span, child of the caller's W3C trace context, and the listener runs inside it.
 *
 * Made here, where a service's own server takes its requests, rather than by the HTTP
 * instrumentation: that patches node:http for every server and client in the process (the
 * span exporters' requests included) and puts some twenty attributes on a span; this keeps the
 * stable conventions' few a learner reads, and costs nothing where no server runs.
 */
export function traceRequests(tracer: Tracer, listener: RequestListener): RequestListener {
  return (req, res) => {
    if (isHousekeeping(req)) {
      // Nothing it leads to is traced either (the store's read of an order it polls for).
      context.bind(UNTRACED, req);
      context.with(UNTRACED, listener, undefined, req, res);
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const method = req.method ?? 'GET';
    const query = req.url?.indexOf('?') ?? -1;
    const userAgent = req.headers['user-agent'];
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_PATH]: query >= 0 ? req.url!.slice(0, query) : (req.url ?? '/'),
          [ATTR_URL_SCHEME]: 'http',
          [ATTR_SERVER_ADDRESS]: hostOf(req.headers.host) ?? req.socket.localAddress,
          [ATTR_SERVER_PORT]: req.socket.localPort,
          [ATTR_CLIENT_ADDRESS]: req.socket.remoteAddress,
          [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
          ...(userAgent ? { [ATTR_USER_AGENT_ORIGINAL]: userAgent } : {}),
        },
      },
      parent,
    );
    (req as WithSpan)[SERVER_SPAN] = span;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      if (!res.writableFinished) {
        // The connection closed before the answer was sent: the client gave up, or it timed out.
        span.setAttribute(ATTR_ERROR_TYPE, 'aborted');
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'the connection closed first' });
      } else {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
        // A server's own 5xx is its error; a 4xx is the client's.
        if (res.statusCode >= 500) {
          span.setAttribute(ATTR_ERROR_TYPE, String(res.statusCode));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    const ctx = trace.setSpan(parent, span);
    // The body arrives in later events of the request: they run in the span's context too.
    context.bind(ctx, req);
    context.with(ctx, listener, undefined, req, res);
  };
}

/** Names a request's server span after its route (`POST /order`), once the router knows it. */
export function nameServerSpan(req: IncomingMessage, route: string | undefined): void {
  const span = (req as WithSpan)[SERVER_SPAN];
  if (!span || !route) return;
  span.updateName(`${req.method ?? 'GET'} ${route}`);
  span.setAttribute(ATTR_HTTP_ROUTE, route);
}

/** The host name of a Host header, without its port (`[::1]:8080` → `::1`). */
function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  if (header.startsWith('[')) return header.slice(1, header.indexOf(']'));
  const colon = header.indexOf(':');
  return colon >= 0 ? header.slice(0, colon) : header;
}
