import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { connectRedis } from '../bus/index.js';
import { SupervisorError } from './errors.js';

/** How long a lease outlives its holder: a SIGKILLed `up` frees its key prefix within this. */
export const LEASE_TTL_MS = 15_000;

/** Who holds a key prefix: what a second `up` on it tells the user. */
export interface LeaseHolder {
  readonly runId: string;
  readonly pid: number;
  readonly host: string;
  readonly urls: LeaseUrls;
}

export interface LeaseUrls {
  readonly api: string;
  readonly query: string;
  readonly admin: string;
}

export interface Lease {
  readonly runId: string;
  /** The real URLs, once the lab is up (port 0 picks at bind). */
  update(urls: LeaseUrls): Promise<void>;
  /** Stops renewing and deletes the key if it is still ours. */
  release(): Promise<void>;
}

export interface LeaseOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  /** What the lab asked for: shown to a second `up` until `update` gives the real ones. */
  readonly urls: LeaseUrls;
  readonly ttlMs?: number;
  /** Quiet by design: one line per Redis outage, one per lease lost to another run. */
  readonly log: (line: string) => void;
}

export const leaseKey = (keyPrefix: string): string => `${keyPrefix}lease`;

// Only the holder's own value is renewed, replaced or deleted: never another run's lease.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('GET', KEYS[1]) or 0`;
const REPLACE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Takes `<prefix>lease` with SET NX PX, or fails at once naming the lab that holds it. The
 * lease is renewed every third of its ttl; while Redis is away the lab keeps running and the
 * renewal keeps trying, and a key found gone (Redis restarted empty) is taken again.
 */
export async function takeLease(options: LeaseOptions): Promise<Lease> {
  const ttlMs = options.ttlMs ?? LEASE_TTL_MS;
  const key = leaseKey(options.keyPrefix);
  const runId = randomBytes(4).toString('hex');
  const holder = (urls: LeaseUrls): string =>
    JSON.stringify({ runId, pid: process.pid, host: hostname(), urls } satisfies LeaseHolder);
  let value = holder(options.urls);
  const redis = await connectRedis(options.redisUrl);
  try {
    let taken = await redis.set(key, value, 'PX', ttlMs, 'NX');
    if (taken !== 'OK') {
      const [other, pttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
      // A lab of this machine that is gone (killed, or stopped by a second Ctrl-C) left its
      // lease to run out: no need to wait for that.
      if (other !== null && holderIsGone(parseHolder(other))) {
        await redis.eval(RELEASE, 1, key, other);
        taken = await redis.set(key, value, 'PX', ttlMs, 'NX');
      }
      if (taken !== 'OK') {
        throw new SupervisorError(
          'SUP_ERR_PREFIX_HELD',
          heldMessage(options.keyPrefix, options.redisUrl, other, pttl),
        );
      }
    }
  } catch (err) {
    redis.disconnect();
    throw err;
  }

  let outage = false;
  let lostTo: string | undefined;
  const renew = async () => {
    try {
      const r = (await redis.eval(RENEW, 1, key, value, ttlMs)) as number | string;
      if (r === 0) {
        // Gone (Redis restarted empty, or the key expired during a long outage): ours again.
        await redis.set(key, value, 'PX', ttlMs, 'NX');
      } else if (typeof r === 'string') {
        const other = parseHolder(r);
        if (other?.runId !== lostTo) {
          lostTo = other?.runId;
          options.log(
            `warning: the lease on key prefix "${options.keyPrefix}" is now held by ${describeHolder(other)}: two labs share these streams and faults`,
          );
        }
      }
      outage = false;
    } catch (err) {
      if (!outage) {
        outage = true;
        options.log(
          `cannot renew the lease on key prefix "${options.keyPrefix}" (${(err as Error).message}); the lab runs on and keeps trying`,
        );
      }
    }
  };
  const timer = setInterval(() => void renew(), Math.max(1, Math.floor(ttlMs / 3)));
  timer.unref();

  return {
    runId,
    async update(urls) {
      const next = holder(urls);
      await redis.eval(REPLACE, 1, key, value, next, ttlMs).catch(() => 0);
      value = next;
    },
    async release() {
      clearInterval(timer);
      await redis.eval(RELEASE, 1, key, value).catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** True for a holder on this machine whose process no longer runs. */
function holderIsGone(holder: LeaseHolder | undefined): boolean {
  if (!holder || holder.host !== hostname() || !Number.isInteger(holder.pid)) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    // EPERM: a process of another user runs under that pid; it may be the lab.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function parseHolder(raw: string | null): LeaseHolder | undefined {
  if (!raw) return undefined;
  try {
    const h = JSON.parse(raw) as Partial<LeaseHolder>;
    return typeof h.runId === 'string' && h.urls ? (h as LeaseHolder) : undefined;
  } catch {
    return undefined;
  }
}

function describeHolder(h: LeaseHolder | undefined): string {
  return h
    ? `another tracelab up (run ${h.runId}, pid ${h.pid} on ${h.host})`
    : 'another tracelab up';
}

/** A Redis URL without its password, fit for a message. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** What a second `up` on a held key prefix says: who holds it, where it serves, what to do. */
export function heldMessage(
  keyPrefix: string,
  redisUrl: string,
  raw: string | null,
  pttlMs: number,
): string {
  const h = parseHolder(raw);
  const where = h
    ? `: its API at ${h.urls.api}, traces at ${h.urls.query}, admin at ${h.urls.admin}`
    : '';
  const expiry =
    pttlMs > 0
      ? ` (its lease runs out in ${(pttlMs / 1000).toFixed(1)} s unless renewed: if that process is gone, up works again then)`
      : '';
  return `${describeHolder(h)} holds key prefix "${keyPrefix}" in ${safeUrl(redisUrl)}${where}; stop it, or give this one another --key-prefix${expiry}`;
}
