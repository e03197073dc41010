import { TracelabError } from '../errors/index.js';

/** What a service cannot do at start, in one catalogue. */
export const SERVICE_ERRORS = {
  SVC_ERR_LISTEN: 'the service cannot listen on its address',
  SVC_ERR_NO_DATABASE: 'inventory was given no database',
} as const;
export type ServiceErrorCode = keyof typeof SERVICE_ERRORS;

export class ServiceError extends TracelabError {
  declare readonly code: ServiceErrorCode;
  constructor(code: ServiceErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * A service this one calls is down (unreachable, timed out, or saying it is unavailable):
 * nothing is wrong with the message, so it is tried again until the dependency is back and
 * these failures do not count towards its dead-letter limit.
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: string,
    message: string,
  ) {
    super(message);
  }
}
