import type { IncomingMessage } from 'node:http';
import {
  allowedHostNames,
  checkHost,
  checkStateChange,
  hasBody,
  refusalBody,
} from '../http-guard/index.js';

/** The admin endpoint listens on 127.0.0.1 only: it answers to loopback names and no others. */
const ADMIN_HOSTS = allowedHostNames({ bindHost: '127.0.0.1' });
const ADMIN_FIX = 'the admin endpoint answers on this machine only, as 127.0.0.1 or localhost';

/**
 * Every request names the lab in its Host; one that changes faults must also be JSON from no
 * foreign Origin, so no web page the user visits can switch a fault. Undefined: go ahead.
 */
export function checkAdminRequest(
  req: IncomingMessage,
): ReturnType<typeof refusalBody> | undefined {
  const method = req.method ?? 'GET';
  const refusal =
    method === 'GET' || method === 'HEAD'
      ? checkHost(req.headers.host, ADMIN_HOSTS, ADMIN_FIX)
      : checkStateChange(
          {
            method,
            contentType: req.headers['content-type'],
            origin: req.headers.origin,
            host: req.headers.host,
            hasBody: hasBody(req.headers),
          },
          ADMIN_HOSTS,
          ADMIN_FIX,
        );
  return refusal ? refusalBody(refusal) : undefined;
}
