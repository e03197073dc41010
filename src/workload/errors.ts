import { TracelabError } from '../errors/index.js';

/** The workload module's errors, one catalogue. */
export const WORKLOAD_ERRORS = {
  WL_ERR_CLOSED: 'the workload runner is closed',
  WL_ERR_POOL_CLOSED: 'the CPU worker pool is closed',
  WL_ERR_WORKER_FAILED: 'a CPU worker failed',
  WL_ERR_BAD_WORKER_REPLY: 'a CPU worker sent a reply that is not a result',
  WL_ERR_NO_DATABASE: 'db_heavy work needs a database, and this service has none',
  WL_ERR_EMPTY_CATALOGUE: 'the inventory catalogue is empty (have the migrations run?)',
  WL_ERR_NETWORK: 'the loopback echo connection failed',
} as const;

export type WorkloadErrorCode = keyof typeof WORKLOAD_ERRORS;

export class WorkloadError extends TracelabError {
  declare readonly code: WorkloadErrorCode;
  constructor(code: WorkloadErrorCode, detail?: string, options?: ErrorOptions) {
    super(code, `${WORKLOAD_ERRORS[code]}${detail ? `: ${detail}` : ''}`, {
      cause: options?.cause,
    });
  }
}
