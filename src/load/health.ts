import { request } from 'undici';

/**
 * Asks the API's /health once, 5 s at most: undefined when it answers (whatever its status),
 * else why not (an errno code such as ECONNREFUSED, or the error's message). Run before a
 * load, it gives a quick clear answer when nothing listens.
 */
export async function apiUnreachableReason(apiUrl: string): Promise<string | undefined> {
  try {
    const res = await request(`${apiUrl.replace(/\/$/, '')}/health`, {
      headersTimeout: 5000,
      bodyTimeout: 5000,
    });
    await res.body.dump();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  }
}
