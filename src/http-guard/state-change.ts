import { checkHost, hostNameOf, listed, PUBLIC_HOST_FIX } from './host.js';
import type { Refusal } from './host.js';

/** What the state-change check reads of a request. */
export interface StateChangeRequest {
  readonly method: string;
  readonly contentType?: string | undefined;
  readonly origin?: string | undefined;
  readonly host?: string | undefined;
  /** True when the request carries a body (a Content-Length above 0, or chunks). */
  readonly hasBody: boolean;
}

/** The media type of a Content-Type header, lower case, parameters (charset) dropped. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * The hostname an Origin header names; undefined for `null` (a sandboxed frame, a file, a
 * redirect across sites), a scheme other than http(s), or anything unparsable: all foreign.
 */
export function originHostName(origin: string): string | undefined {
  if (origin.trim() === 'null') return undefined;
  let url: URL;
  try {
    url = new URL(origin.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return hostNameOf(url.host);
}

/**
 * A request a page on another site sent: its Origin names no host this lab answers to. An
 * absent Origin is a tool (curl, tracelab), not a browser: browsers send one on every POST.
 */
export function checkOrigin(
  origin: string | undefined,
  allowed: ReadonlySet<string>,
): Refusal | undefined {
  if (origin === undefined) return undefined;
  const name = originHostName(origin);
  if (name !== undefined && allowed.has(name)) return undefined;
  return {
    status: 403,
    code: 'ERR_CROSS_SITE',
    message: `Origin "${origin}" is not this lab (${listed(allowed)}): a change sent by a page on another site is refused; use tracelab from a terminal, or the lab's own pages`,
  };
}

/**
 * The check before a request that changes state (sets faults, replays dead letters).
 *
 * A web page can make the browser send a POST anywhere with no preflight when its body is
 * text/plain, a form or multipart; only `application/json` forces a preflight, which these
 * servers never grant. So such a request must be JSON, come from no foreign Origin (a browser
 * sends Origin on every cross-site POST), and name the lab in its Host (no rebound name). A
 * request without a body and not a POST (`DELETE /faults`) need not say a Content-Type: a
 * browser sends any other method across sites only after a preflight.
 */
export function checkStateChange(
  req: StateChangeRequest,
  allowed: ReadonlySet<string>,
  fix = PUBLIC_HOST_FIX,
): Refusal | undefined {
  const host = checkHost(req.host, allowed, fix);
  if (host) return host;
  const origin = checkOrigin(req.origin, allowed);
  if (origin) return origin;
  const needsType = req.method.toUpperCase() === 'POST' || req.hasBody;
  const type = mediaTypeOf(req.contentType);
  if (needsType && type !== 'application/json') {
    return {
      status: 403,
      code: 'ERR_CONTENT_TYPE',
      message: `a ${req.method.toUpperCase()} that changes the lab must be sent as JSON (Content-Type: application/json), not ${type === '' ? 'without a Content-Type' : `"${type}"`}`,
    };
  }
  return undefined;
}

/** True when a Node request carries a body: a non-zero Content-Length, or chunked. */
export function hasBody(headers: {
  readonly 'content-length'?: string | undefined;
  readonly 'transfer-encoding'?: string | undefined;
}): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const n = Number(headers['content-length'] ?? '0');
  return !Number.isFinite(n) || n > 0;
}

/** A refusal as the lab's JSON error body: {statusCode, code, error, message}. */
export function refusalBody(r: Refusal): {
  statusCode: number;
  code: string;
  error: string;
  message: string;
} {
  return {
    statusCode: r.status,
    code: r.code,
    error: r.status === 421 ? 'Misdirected Request' : 'Forbidden',
    message: r.message,
  };
}
