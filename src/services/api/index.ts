export { buildApiApp } from './app.js';
export type { ApiDeps } from './app.js';
