import type { ScenarioSetup } from './types.js';

/** A setup in words, one item each, as `scenario reveal` prints it after "Set up with". */
export function describeSetup(setup: ScenarioSetup): string[] {
  const a = setup.autoscale;
  return [
    ...setup.faults.map((f) =>
      setup.faultsLastMs === undefined ? f : `${f} for ${setup.faultsLastMs / 1000} s`,
    ),
    ...Object.entries(setup.intensities).map(([s, i]) => `${s} intensity ${i}`),
    ...Object.entries(setup.replicas).map(([s, n]) => `${s} ×${n}`),
    ...(setup.resilience ?? []).map((w) => `resilience ${w}`),
    ...(a
      ? [
          `autoscale ${a.service}=${a.min}..${a.max}${a.lag !== undefined ? ` lag ${a.lag}` : ''}${a.windowMs !== undefined ? ` window ${a.windowMs / 1000} s` : ''}`,
        ]
      : []),
  ];
}
