import type { Order } from '../pipeline/order.js';
import type { ServiceKind } from '../workload/types.js';

export interface StageRecord {
  readonly status: 'done' | 'pending';
  /** When the stage finished (epoch ms). */
  readonly atMs?: number;
}

export interface OrderRecord {
  readonly id: string;
  readonly item: string;
  readonly quantity: number;
  readonly createdAtMs: number;
  readonly traceId: string;
  readonly status: 'completed' | 'in_progress';
  readonly stages: Readonly<Record<ServiceKind, StageRecord>>;
}

export interface AnalyticsTotals {
  readonly orders: number;
  readonly quantity: number;
  /** Quantity per item. */
  readonly items: Readonly<Record<string, number>>;
}

/** Orders and analytics aggregates, as the services keep them. */
export interface OrderStore {
  create(order: Order, traceId: string): Promise<void>;
  remove(orderId: string): Promise<void>;
  markStage(orderId: string, stage: Exclude<ServiceKind, 'analytics'>, atMs: number): Promise<void>;
  /** Counts the order into the aggregates once; false when it was counted already. */
  recordAnalytics(order: Order, atMs: number): Promise<boolean>;
  get(orderId: string): Promise<OrderRecord | undefined>;
  totals(): Promise<AnalyticsTotals>;
}
