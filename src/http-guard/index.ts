/*
 * The HTTP edge's checks, as pure functions of a request's headers: which Host names a server
 * answers to (against DNS rebinding), and what a request that changes state must carry
 * (against cross-site requests). Each server applies them in its own framework.
 */
export {
  allowedHostNames,
  checkHost,
  hostNameOf,
  LOOPBACK_NAMES,
  normalizeHostName,
  PUBLIC_HOST_FIX,
} from './host.js';
export type { Refusal } from './host.js';
export {
  checkOrigin,
  checkStateChange,
  hasBody,
  mediaTypeOf,
  originHostName,
  refusalBody,
} from './state-change.js';
export type { StateChangeRequest } from './state-change.js';
export { bindWarning, isLoopbackBind, listenFailure, NOSNIFF } from './bind.js';
