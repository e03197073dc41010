import { WebSocket } from 'undici';

/** Node's flag that opens the inspector on a free loopback port; the URL is on stderr. */
export const INSPECT_FLAG = '--inspect=127.0.0.1:0';
/** The line a process started with INSPECT_FLAG prints: its inspector's WebSocket URL. */
export const INSPECTOR_URL = /Debugger listening on (ws:\/\/\S+)/;

/** `process.memoryUsage()` of the process, read right after a full garbage collection. */
export interface HeapReading {
  /** V8 heap in use: what the process's JavaScript still reaches. */
  readonly heapUsedBytes: number;
  /** Memory outside the V8 heap held by JavaScript objects (Buffers, ArrayBuffers). */
  readonly externalBytes: number;
  readonly rssBytes: number;
}

export interface Inspector {
  /** Forces a full GC in the process and reads its heap: what is still reachable. */
  heapAfterGc(): Promise<HeapReading>;
  close(): void;
}

/**
 * Another process's heap, read through its inspector (Chrome DevTools protocol): a GC on
 * demand makes the figure what the process keeps, not what it has yet to collect.
 */
export async function connectInspector(url: string): Promise<Inspector> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`cannot open the inspector at ${url}`)), {
      once: true,
    });
  });
  let nextId = 1;
  const waiting = new Map<number, (msg: { result?: unknown; error?: unknown }) => void>();
  ws.addEventListener('message', (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
  });
  const call = <T>(method: string, params: object = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`inspector: no answer to ${method}`));
      }, 30_000);
      waiting.set(id, (msg) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (msg.error) reject(new Error(`inspector: ${method}: ${JSON.stringify(msg.error)}`));
        else resolve(msg.result as T);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    async heapAfterGc() {
      await call('HeapProfiler.collectGarbage');
      const { result } = await call<{ result: { value: string } }>('Runtime.evaluate', {
        expression: 'JSON.stringify(process.memoryUsage())',
        returnByValue: true,
      });
      const usage = JSON.parse(result.value) as NodeJS.MemoryUsage;
      return { heapUsedBytes: usage.heapUsed, externalBytes: usage.external, rssBytes: usage.rss };
    },
    close: () => ws.close(),
  };
}
