export { TracelabError } from './tracelab-error.js';
export type { TracelabErrorOptions } from './tracelab-error.js';
