import type { BusPlace, Messages } from './bus-order.js';
import { Column } from './column.js';
import type { Progress } from './column.js';

/** A hop's or a queue's messages, each with the number of its trace in the set. */
export interface TracedMessages extends Messages {
  readonly traceNo: number[];
}

/** One hop's messages (a topic, from one service to another) as columns, in trace order. */
export class HopColumns {
  readonly publishedUs: Column;
  readonly waitUs: Column;
  /** Which trace (its number in the set) each message is in. */
  readonly traceNo: Column;
  readonly serviceTimes: Column;
  /** The consumer span's start and end. */
  readonly startUs: Column;
  readonly endUs: Column;
  /** Where the message sits in its bus (see BusPlace); NaN where the spans do not say. */
  readonly partition: string[] = [];
  readonly placeHi: Column;
  readonly placeLo: Column;
  readonly instances = new Set<string>();

  constructor(
    readonly topic: string,
    readonly fromService: string,
    readonly toService: string,
    progress: Progress,
  ) {
    this.publishedUs = new Column(progress);
    this.waitUs = new Column(progress);
    this.traceNo = new Column(progress);
    this.serviceTimes = new Column(progress);
    this.startUs = new Column(progress);
    this.endUs = new Column(progress);
    this.placeHi = new Column(progress);
    this.placeLo = new Column(progress);
  }

  /**
   * Adds a message published at `publishedUs` and handled by a consumer span from `startUs` to
   * `endUs` on `instance`; `place` is where it sits in its bus, null where the spans do not say.
   */
  add(
    traceNo: number,
    publishedUs: number,
    startUs: number,
    endUs: number,
    place: BusPlace | null,
    instance: string,
  ): void {
    const wait = startUs - publishedUs;
    this.publishedUs.push(publishedUs);
    this.waitUs.push(wait > 0 ? wait : 0);
    this.traceNo.push(traceNo);
    this.serviceTimes.push(endUs - startUs);
    this.startUs.push(startUs);
    this.endUs.push(endUs);
    if (place) {
      this.partition.push(place.partition);
      this.placeHi.push(place.hi);
      this.placeLo.push(place.lo);
    } else {
      this.partition.push('');
      this.placeHi.push(NaN);
      this.placeLo.push(NaN);
    }
    this.instances.add(instance);
  }
}

/** The messages of hops (one, or those of a queue) as the bus order and busy periods read them. */
export function messagesOf(hops: readonly HopColumns[]): TracedMessages {
  const one = hops.length === 1 ? hops[0]! : undefined;
  const join = (f: (h: HopColumns) => Column) =>
    one ? f(one).values() : hops.flatMap((h) => f(h).values());
  return {
    count: hops.reduce((n, h) => n + h.publishedUs.length, 0),
    publishedUs: join((h) => h.publishedUs),
    startUs: join((h) => h.startUs),
    endUs: join((h) => h.endUs),
    waitUs: join((h) => h.waitUs),
    partition: one ? one.partition : hops.flatMap((h) => h.partition),
    placeHi: join((h) => h.placeHi),
    placeLo: join((h) => h.placeLo),
    traceNo: join((h) => h.traceNo),
  };
}
