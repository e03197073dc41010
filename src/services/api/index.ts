export { buildApiApp } from './app.js';
export type { ApiDeps } from './deps.js';
