import { readyMessage } from './ready.js';

/**
 * The child's side of the IPC channel `tracelab up` opens to each child. Without a channel
 * (the process was started by hand or by a container) each call does nothing.
 */

/** Tells the supervisor that this process serves, and where. */
export function tellReady(urls: Readonly<Record<string, string>>): void {
  if (process.send && process.connected) process.send(readyMessage(urls));
}

/** How long a child whose supervisor is gone may take to stop before it exits anyway. */
const PARENT_GONE_GRACE_MS = 3000;

/**
 * Calls `onGone` once when the supervisor is gone: its end of the channel closes when it
 * exits, however it dies (even SIGKILL), so no polling is needed. Nobody is left to
 * escalate then, so the process exits after PARENT_GONE_GRACE_MS whatever `onGone` is
 * still waiting for. The returned function lets go of the channel, so it no longer keeps
 * this process alive.
 */
export function watchParent(onGone: () => void): () => void {
  if (!process.connected) return () => undefined;
  const gone = () => {
    setTimeout(() => process.exit(1), PARENT_GONE_GRACE_MS).unref();
    onGone();
  };
  process.once('disconnect', gone);
  return () => {
    process.removeListener('disconnect', gone);
    if (process.connected) process.disconnect();
  };
}
