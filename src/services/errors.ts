import { TracelabError } from '../errors/index.js';

/** What a service cannot do at start, in one catalogue. */
export const SERVICE_ERRORS = {
  SVC_ERR_LISTEN: 'the API cannot listen on its address',
} as const;
export type ServiceErrorCode = keyof typeof SERVICE_ERRORS;

export class ServiceError extends TracelabError {
  declare readonly code: ServiceErrorCode;
  constructor(code: ServiceErrorCode, message: string) {
    super(code, message);
  }
}
