import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { httpTraceSource } from '../collector/index.js';
import type { StartedLab } from '../exercises/index.js';
import { ExerciseError } from '../exercises/index.js';
import { deleteKeysWithPrefix } from '../store/index.js';
import { ON_FREE_PORTS, parseUpBanner } from './up-banner.js';
import type { UpBanner } from './up-banner.js';

const MAIN = join(__dirname, 'main.js');

/**
 * Starts `tracelab up` as a child on free ports and a key prefix of its own, so it runs beside
 * the user's lab without touching it; `stop()` stops it gracefully and removes its keys.
 */
export async function startLabProcess(
  flags: readonly string[],
  progress: (text: string) => void,
  settleMs: number,
): Promise<StartedLab & { readonly adminUrl: string }> {
  const keyPrefix = `tlexercise-${randomUUID().slice(0, 8)}:`;
  const child = spawn(
    process.execPath,
    [MAIN, 'up', ...ON_FREE_PORTS, '--key-prefix', keyPrefix, ...flags],
    // Spans reach the collector in a fifth of a second rather than five: the exercise reads
    // them right after the orders complete.
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { OTEL_BSP_SCHEDULE_DELAY: '200', ...process.env, NO_COLOR: '1' },
    },
  );
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  progress(`starting tracelab up ${flags.join(' ')}`);
  const ready = await new Promise<UpBanner>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(
        new ExerciseError(
          'EX_ERR_UNREACHABLE',
          `tracelab up ${flags.join(' ')} was not up within 2 min:\n${out.slice(-2000)}`,
        ),
      );
    }, 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = parseUpBanner(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new ExerciseError(
          'EX_ERR_UNREACHABLE',
          `tracelab up ${flags.join(' ')} exited (${code}):\n${out.slice(-2000)}`,
        ),
      );
    });
  });
  const { apiUrl, queryUrl, redisUrl, adminUrl } = ready;
  const source = httpTraceSource(queryUrl);
  return {
    apiUrl,
    queryUrl,
    adminUrl,
    getTrace: (id) => source.getTrace(id),
    settleMs,
    progress,
    async stop() {
      progress(`stopping tracelab up ${flags.join(' ')}`);
      if (child.exitCode === null && child.signalCode === null) {
        const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.kill('SIGTERM');
        await exited;
        clearTimeout(kill);
      }
      const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        await deleteKeysWithPrefix(redis, keyPrefix);
      } catch {
        // A private redis-server went with the lab, keys and all.
      } finally {
        redis.disconnect();
      }
    },
  };
}
