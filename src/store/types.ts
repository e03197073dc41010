import type { Order, PipelineKind, ServiceKind } from '../model/index.js';

export interface StageRecord {
  readonly status: 'done' | 'pending' | 'dead_lettered';
  /** When the stage finished, or gave the order up (epoch ms). */
  readonly atMs?: number;
  /** Why the stage set the order aside on its dead-letter topic. */
  readonly reason?: string;
}

export interface OrderRecord {
  readonly id: string;
  readonly item: string;
  readonly quantity: number;
  readonly createdAtMs: number;
  readonly traceId: string;
  /** `dead_lettered`: a stage set it aside (see `tracelab dlq`); a replay resumes it. */
  readonly status: 'completed' | 'in_progress' | 'dead_lettered';
  readonly stages: Readonly<Record<PipelineKind, StageRecord>>;
}

export interface ItemTotals {
  readonly orders: number;
  readonly quantity: number;
}

/** What the analytics service has aggregated, since the key prefix was first used. */
export interface AnalyticsTotals {
  /** Orders counted by analytics: the ones that went all the way through. */
  readonly orders: number;
  readonly quantity: number;
  readonly items: Readonly<Record<string, ItemTotals>>;
  /** Orders each stage has completed; `api` counts accepted orders. */
  readonly stages: Readonly<Record<PipelineKind, number>>;
}

/** Orders and analytics aggregates, as the services keep them. */
export interface OrderStore {
  create(order: Order, traceId: string): Promise<void>;
  /**
   * An order that was not accepted after all leaves no record: true when none is left (removed,
   * or never there); false when a consumer has taken the order already, which then goes on.
   */
  remove(orderId: string): Promise<boolean>;
  /** Marks a stage done (once); throws UnknownOrderError when the order has no record. */
  markStage(
    orderId: string,
    stage: Exclude<PipelineKind, 'analytics'>,
    atMs: number,
  ): Promise<void>;
  /** A stage set the order aside on its dead-letter topic, with why (on a record that exists). */
  markDeadLettered(
    orderId: string,
    stage: ServiceKind,
    reason: string,
    atMs: number,
  ): Promise<void>;
  /** A replayed order is in progress again. */
  clearDeadLettered(orderId: string): Promise<void>;
  /**
   * Counts the order into the aggregates once; false when it was counted already. Throws
   * UnknownOrderError when the order has no record: nothing is counted.
   */
  recordAnalytics(order: Order, atMs: number): Promise<boolean>;
  /** True when the order has a record: the API accepted it and it has not expired. */
  has(orderId: string): Promise<boolean>;
  get(orderId: string): Promise<OrderRecord | undefined>;
  totals(): Promise<AnalyticsTotals>;
}
