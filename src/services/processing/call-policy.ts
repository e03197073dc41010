import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  IsolatedCircuitError,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
} from 'cockatiel';
import type { IPolicy } from 'cockatiel';
import type { ResiliencePolicy } from '../../workload/index.js';
import { hasBreaker } from '../../workload/index.js';
import { DependencyUnavailableError } from '../errors.js';

/** The breaker's state in the words of `tracelab.circuit_breaker.state`. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What one attempt is told: which resend it is, the breaker's state, when to give up. */
export interface AttemptContext {
  /** 0 for the first attempt, 1.. for each retry. */
  readonly resend: number;
  readonly breaker: BreakerState;
  readonly signal: AbortSignal;
}

export interface CallPolicyHooks {
  /** The breaker moved (an event on the span of the call that moved it). */
  readonly onBreakerChange?: (change: { from: BreakerState; to: BreakerState }) => void;
}

/** One policy's chain: at most `bulkhead` calls, retried, behind a breaker, each attempt timed. */
export interface CallPolicy {
  readonly settings: ResiliencePolicy;
  breakerState(): BreakerState;
  /** Runs `attempt` under the policies; the failures they add are DependencyUnavailableErrors. */
  execute<T>(attempt: (ctx: AttemptContext) => Promise<T>): Promise<T>;
}

/** Bulkhead queue per call slot: a small queue, past it calls are refused at once. */
const BULKHEAD_QUEUE_PER_SLOT = 4;
/** Retries never wait longer than this, however many there are. */
const MAX_BACKOFF_MS = 10_000;

export function breakerStateName(state: CircuitState): BreakerState {
  if (state === CircuitState.HalfOpen) return 'half_open';
  return state === CircuitState.Closed ? 'closed' : 'open';
}

/**
 * Builds the chain from one policy. `isFailure` says which errors are the dependency failing
 * (worth a retry, counted by the breaker); others (a 400: the order's own fault) pass through.
 */
export function createCallPolicy(
  settings: ResiliencePolicy,
  isFailure: (err: Error) => boolean,
  hooks: CallPolicyHooks = {},
): CallPolicy {
  // A timed-out attempt is the dependency failing too; a refusal by the breaker is not retried.
  const handled = handleWhen((err) => err instanceof TaskCancelledError || isFailure(err));
  const breaker = hasBreaker(settings)
    ? circuitBreaker(handled, {
        halfOpenAfter: settings.breakerPauseMs,
        breaker: new ConsecutiveBreaker(settings.breakerFailures),
      })
    : undefined;
  let last: BreakerState = 'closed';
  breaker?.onStateChange((s) => {
    const to = breakerStateName(s);
    if (to === last) return;
    const from = last;
    last = to;
    hooks.onBreakerChange?.({ from, to });
  });
  const retries =
    settings.retries > 0
      ? retry(handled, {
          maxAttempts: settings.retries,
          backoff: new ExponentialBackoff({
            initialDelay: Math.max(1, settings.backoffMs),
            maxDelay: Math.max(MAX_BACKOFF_MS, settings.backoffMs),
          }),
        })
      : undefined;
  const limit =
    settings.bulkhead > 0
      ? bulkhead(settings.bulkhead, settings.bulkhead * BULKHEAD_QUEUE_PER_SLOT)
      : undefined;
  // No abort once an attempt has returned: it has read the whole answer by then, and each abort
  // makes a DOMException whose stack trace follows the await chain (2 % of processing's CPU
  // with the SDK's context on that chain).
  const perAttempt = timeout(settings.timeoutMs, {
    strategy: TimeoutStrategy.Aggressive,
    abortOnReturn: false,
  });
  const state = () => (breaker ? breakerStateName(breaker.state) : 'closed');

  // Retry's context has the attempt (0 first); the others' none.
  const run = <T>(policy: IPolicy | undefined, fn: (attempt: number) => Promise<T>) =>
    policy ? policy.execute((ctx) => fn((ctx as { attempt?: number }).attempt ?? 0)) : fn(0);

  return {
    settings,
    breakerState: state,
    async execute(attempt) {
      try {
        return await run(limit, () =>
          run(retries, (resend) =>
            run(breaker, () => {
              // An attempt the breaker lets through while it reads open is its half-open
              // probe: cockatiel runs the probe before it records the state as half-open.
              const now = state();
              const breakerNow = now === 'open' ? 'half_open' : now;
              return perAttempt.execute(async ({ signal }) => {
                try {
                  return await attempt({ resend, breaker: breakerNow, signal });
                } catch (err) {
                  // Whatever the attempt threw as it was cut off, it is the time limit.
                  if (signal.aborted) throw new TaskCancelledError('timed out');
                  throw err;
                }
              });
            }),
          ),
        );
      } catch (err) {
        throw translate(err, settings);
      }
    },
  };
}

/** The policies' own refusals, said as the dependency being unavailable. */
export function translate(err: unknown, settings: ResiliencePolicy): unknown {
  if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
    return new DependencyUnavailableError(
      'inventory',
      `inventory not called: the circuit breaker is open (${settings.breakerFailures} failures in a row; it lets a call through after ${settings.breakerPauseMs} ms)`,
    );
  }
  if (err instanceof BulkheadRejectedError) {
    return new DependencyUnavailableError(
      'inventory',
      `inventory not called: ${settings.bulkhead} calls in flight and the queue full (bulkhead)`,
    );
  }
  if (err instanceof TaskCancelledError) {
    return new DependencyUnavailableError(
      'inventory',
      `inventory did not answer within ${settings.timeoutMs} ms`,
    );
  }
  return err;
}
