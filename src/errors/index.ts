export { TracelabError } from './tracelab-error.js';
export type { TracelabErrorOptions } from './tracelab-error.js';
// Small helpers every module may share, kept here as this layer is the one all can import.
export { fetchJson } from './fetch-json.js';
export type { FetchJsonOptions, JsonAnswer } from './fetch-json.js';
export { round } from './round.js';
export { finishedWithin, withTimeout } from './timeout.js';
