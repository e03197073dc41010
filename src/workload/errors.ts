/** The workload module's errors, one catalogue. */
export const WORKLOAD_ERRORS = {
  WL_ERR_CLOSED: 'the workload runner is closed',
  WL_ERR_POOL_CLOSED: 'the CPU worker pool is closed',
  WL_ERR_WORKER_FAILED: 'a CPU worker failed',
  WL_ERR_BAD_WORKER_REPLY: 'a CPU worker sent a reply that is not a result',
} as const;

export type WorkloadErrorCode = keyof typeof WORKLOAD_ERRORS;

export class WorkloadError extends Error {
  constructor(
    readonly code: WorkloadErrorCode,
    detail?: string,
    options?: ErrorOptions,
  ) {
    super(`${WORKLOAD_ERRORS[code]}${detail ? `: ${detail}` : ''}`, options);
    this.name = 'WorkloadError';
  }
}
