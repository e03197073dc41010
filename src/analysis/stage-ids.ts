import type { SpanTable } from './span-table.js';

/**
 * Numbers each (service, operation) met, so that what is looked up per span and per stretch of
 * a critical path is an array index, not two map lookups or a string comparison.
 */
export class StageIds {
  private readonly byService = new Map<string, Map<string, number>>();
  count = 0;
  /** The stage of each slot of the trace last numbered. */
  private ofSlot = new Int32Array(64);

  /** Numbers the stage of each slot of t; the array holds them until the next trace. */
  number(t: SpanTable): Int32Array {
    const n = t.n;
    if (this.ofSlot.length < n) this.ofSlot = new Int32Array(n * 2);
    const stageOf = this.ofSlot;
    let lastService = '';
    let ops: Map<string, number> | undefined;
    for (let k = 0; k < n; k++) {
      const i = t.order[k]!;
      const service = t.service[i]!;
      if (ops === undefined || service !== lastService) {
        lastService = service;
        ops = this.ofService(service);
      }
      const operation = t.operation[i]!;
      let id = ops.get(operation);
      if (id === undefined) ops.set(operation, (id = this.count++));
      stageOf[i] = id;
    }
    return stageOf;
  }

  /** The operations of one service and their ids. */
  private ofService(service: string): Map<string, number> {
    let ops = this.byService.get(service);
    if (ops === undefined) this.byService.set(service, (ops = new Map<string, number>()));
    return ops;
  }
}
