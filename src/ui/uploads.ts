import type { JaegerTrace } from '../model/index.js';

/** Traces opened from a file: kept in the page only, never sent anywhere. */
const uploaded = new Map<string, JaegerTrace>();

export function keepUploaded(trace: JaegerTrace): void {
  uploaded.set(trace.traceID, trace);
}

export function uploadedTrace(traceID: string): JaegerTrace | undefined {
  return uploaded.get(traceID);
}
