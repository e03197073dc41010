import { TracelabError } from '../errors/index.js';

/** What `tracelab up` cannot do for the user, in one catalogue. */
export const SUPERVISOR_ERRORS = {
  SUP_ERR_BAD_SCALE: 'a --scale entry is not accepted',
  SUP_ERR_BAD_AUTOSCALE: 'an --autoscale entry or setting is not accepted',
  SUP_ERR_REDIS_UNREACHABLE: 'the Redis named cannot be reached',
  SUP_ERR_NO_REDIS: 'no Redis answers and redis-server is not installed',
  SUP_ERR_REDIS_START: 'a private redis-server did not answer',
  SUP_ERR_CHILD_NOT_READY: 'a child process stopped before it said it was ready',
  SUP_ERR_PREFIX_HELD: 'another tracelab up holds the key prefix',
  SUP_ERR_DATABASE_UNREACHABLE: 'the PostgreSQL named cannot be reached',
  SUP_ERR_NO_POSTGRES: "--database postgres, and PostgreSQL's programs are not installed",
  SUP_ERR_POSTGRES_START: 'a private PostgreSQL did not start',
  SUP_ERR_PGLITE_START: 'PGlite did not start',
} as const;
export type SupervisorErrorCode = keyof typeof SUPERVISOR_ERRORS;

export class SupervisorError extends TracelabError {
  constructor(code: SupervisorErrorCode, message: string) {
    super(code, message);
  }
}
