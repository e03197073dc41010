import type { ServiceKind } from '../model/index.js';
import type { CauseId } from './causes.js';

export type Level = 'beginner' | 'intermediate' | 'advanced';

/** A page of the web UI worth opening for a scenario, and what to look at there. */
export interface ScenarioView {
  readonly page: 'search' | 'trace' | 'system' | 'compare';
  /** Query of the page's URL (the search form's fields: service, operation, tags, lookback). */
  readonly query?: Readonly<Record<string, string>>;
  readonly look: string;
}

/** The orders a scenario sends once it is set up. */
export interface ScenarioLoad {
  readonly orders: number;
  /** Orders per second; absent: all at once (a burst). */
  readonly ratePerSec?: number;
  /** An intensity forced on every order (and so in every service), e.g. for a comparison. */
  readonly orderIntensity?: string;
}

/** How a scenario is set up in the running lab, through `up`'s admin endpoint. */
export interface ScenarioSetup {
  /** `<service>.<kind>=<value>`, as `tracelab fault set` takes them. */
  readonly faults: readonly string[];
  /** A service's intensity fixed for the scenario (light, medium, heavy, severe). */
  readonly intensities: Readonly<Partial<Record<ServiceKind, string>>>;
  readonly replicas: Readonly<Partial<Record<ServiceKind, number>>>;
  /**
   * The policies around processing's call to inventory, `k=v` as `tracelab resilience set`
   * takes them (`retries=4`, `timeout_ms=250`); switched back to what they were on stop.
   */
  readonly resilience?: readonly string[];
  /** A consumer autoscaled for the scenario; its autoscaling and replicas switched back on stop. */
  readonly autoscale?: ScenarioAutoscale;
  /**
   * How long the faults last, from the first order: then they are switched off while the
   * orders are still handled (an outage that ends). Absent: until the scenario stops.
   */
  readonly faultsLastMs?: number;
  readonly load: ScenarioLoad;
}

/** `POST /autoscale` of up's admin endpoint: a consumer's bounds, and how eagerly it scales. */
export interface ScenarioAutoscale {
  readonly service: ServiceKind;
  readonly min: number;
  readonly max: number;
  /** Backlog above which a replica is added (default: up's --autoscale-lag). */
  readonly lag?: number;
  /** How long the backlog must stay above `lag` first (default: up's --autoscale-window-ms). */
  readonly windowMs?: number;
}

/** What is really wrong, known from the setup (never from the analyser). */
export interface ScenarioTruth {
  readonly service: ServiceKind;
  readonly cause: CauseId;
  /** Other causes that are also right for this setup (a bottleneck is also under-provisioned). */
  readonly alsoAccepted?: readonly CauseId[];
  readonly explanation: string;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly level: Level;
  /** The spec's exercise this scenario guides, 1-6. */
  readonly exercise?: number;
  readonly question: string;
  /** Vague, closer, specific. */
  readonly hints: readonly [string, string, string];
  readonly views: readonly ScenarioView[];
  /** The causes a learner chooses from. */
  readonly causes: readonly CauseId[];
  readonly setup: ScenarioSetup;
  readonly truth: ScenarioTruth;
}

export interface Answer {
  /** `processing` or `processing-service`. */
  readonly service: string;
  readonly cause?: string;
}

export interface Grade {
  readonly correct: boolean;
  readonly serviceCorrect: boolean;
  /** null when no cause was given. */
  readonly causeCorrect: boolean | null;
  readonly explanation: string;
}
