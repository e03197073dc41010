export interface FetchJsonOptions extends Omit<RequestInit, 'signal'> {
  /** How long the request and its body may take. */
  readonly timeoutMs: number;
  /** The error to throw when no answer comes (refused, reset, timed out), made from the cause. */
  readonly unreachable: (err: Error) => Error;
}

/** An HTTP answer read whole; what its status means is the caller's to say. */
export interface JsonAnswer {
  readonly status: number;
  readonly ok: boolean;
  /** The body as sent, for messages that quote it. */
  readonly text: string;
  /** Whether the body parsed as JSON. */
  readonly json: boolean;
  /** The parsed body; undefined when it is not JSON. */
  readonly body: unknown;
}

/**
 * Fetches `url` within `timeoutMs` and reads the body as JSON where it is JSON. A request that
 * gets no answer throws `unreachable(cause)`; any answer, whatever its status, is returned.
 */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<JsonAnswer> {
  const { timeoutMs, unreachable, ...init } = options;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (err) {
    throw unreachable(err as Error);
  }
  let body: unknown;
  let json = true;
  try {
    body = JSON.parse(text);
  } catch {
    json = false;
  }
  return { status: res.status, ok: res.ok, text, json, body };
}
