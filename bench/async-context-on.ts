/**
 * Preloaded (`node --require`) by the pipeline bench's `async-context` system: one
 * AsyncLocalStorage in use, as OpenTelemetry's context manager keeps one, so an untraced lab
 * pays for the promise hook Node then runs on every promise, and nothing else.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<object>();
storage.enterWith({});
