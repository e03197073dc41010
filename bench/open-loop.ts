/**
 * An open-loop order sender: POSTs at a fixed rate whatever the answers, so a slow system
 * builds a queue instead of slowing the sender down (a closed loop would hide the queue and
 * understate latency). Each order's latency counts from when it was due, not when it went.
 */
import { Agent, request } from 'node:http';

export interface SentOrder {
  readonly id: string;
  /** Epoch ms (fractional) at which the order was due to be sent. */
  readonly dueAtMs: number;
}

export interface OpenLoopResult {
  readonly offeredPerS: number;
  readonly accepted: SentOrder[];
  /** Answers other than 202, and requests that failed: nothing accepted. */
  readonly failed: number;
  readonly firstError?: string;
}

// Keep-alive sockets, as a real client pool: a new TCP connection per order would measure
// the kernel, not the lab.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** Sends `ratePerS` orders a second for `seconds`; resolves once every answer is in. */
export async function sendOpenLoop(
  apiUrl: string,
  ratePerS: number,
  seconds: number,
  item = 'bench',
): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round(ratePerS * seconds));
  const url = new URL('/order', apiUrl);
  const body = JSON.stringify({ item, quantity: 1 });
  const accepted: SentOrder[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const answers: Promise<void>[] = [];
  const startMs = performance.timeOrigin + performance.now();
  let sent = 0;

  await new Promise<void>((done) => {
    // A coarse timer sends every order that has come due since the last tick.
    const tick = () => {
      const nowMs = performance.timeOrigin + performance.now();
      const due = Math.min(total, Math.floor(((nowMs - startMs) / 1000) * ratePerS) + 1);
      for (; sent < due; sent++) {
        const dueAtMs = startMs + (sent / ratePerS) * 1000;
        answers.push(
          postOrder(url, body).then(
            (id) => void accepted.push({ id, dueAtMs }),
            (err: Error) => {
              failed++;
              firstError ??= err.message;
            },
          ),
        );
      }
      if (sent >= total) done();
      else setTimeout(tick, 2);
    };
    tick();
  });
  await Promise.all(answers);
  return {
    offeredPerS: ratePerS,
    accepted,
    failed,
    ...(firstError ? { firstError } : {}),
  };
}

/** One order POSTed on the kept-alive pool; resolves with its id on a 202. */
export function postOrder(url: URL, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          if (res.statusCode !== 202) reject(new Error(`POST /order: ${res.statusCode} ${text}`));
          else resolve((JSON.parse(text) as { id: string }).id);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Closes the kept-alive sockets, so the bench can exit. */
export function closeSender(): void {
  agent.destroy();
}
