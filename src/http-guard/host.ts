import { isIP } from 'node:net';

/** Names every server of the lab answers to: this machine's loopback, however it is written. */
export const LOOPBACK_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** Bind addresses that mean "every interface": they name no host a client would use. */
const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);

/** Why a request was refused: the HTTP status, a stable code and what to do about it. */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * A host name as compared: lower case, IPv6 without brackets, no trailing dot. Undefined when
 * it is not a host name at all (`evil.com@localhost`, a path, spaces).
 */
export function normalizeHostName(name: string): string | undefined {
  let n = name.trim().toLowerCase();
  if (n.startsWith('[') && n.endsWith(']')) n = n.slice(1, -1);
  if (n.endsWith('.')) n = n.slice(0, -1);
  if (n === '') return undefined;
  if (isIP(n) === 6) return n;
  return /^[a-z0-9.-]+$/.test(n) && !n.startsWith('.') ? n : undefined;
}

/**
 * The names a server answers to: the loopback names, the address it binds to when that is one
 * address (not 0.0.0.0 or ::), and each public host the user named. `evil.localhost` is none of
 * them, though it resolves to loopback: a page on it is a foreign site.
 */
export function allowedHostNames(options: {
  readonly bindHost?: string | undefined;
  readonly publicHosts?: readonly string[] | undefined;
}): ReadonlySet<string> {
  const names = new Set(LOOPBACK_NAMES);
  const bind = options.bindHost?.trim() ?? '';
  const extra = [
    ...(WILDCARDS.has(bind) ? [] : [bind]),
    ...(options.publicHosts ?? []).flatMap((h) => h.split(',')),
  ];
  for (const raw of extra) {
    const name = normalizeHostName(raw);
    if (name !== undefined) names.add(name);
  }
  return names;
}

/** The host name of a Host header (`[::1]:8080` → `::1`), port dropped; undefined if malformed. */
export function hostNameOf(header: string): string | undefined {
  const h = header.trim();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0 || !/^(:\d*)?$/.test(h.slice(end + 1))) return undefined;
    return normalizeHostName(h.slice(0, end + 1));
  }
  const colons = h.split(':').length - 1;
  // A bare IPv6 address: no browser sends one, but it names a host all the same.
  if (colons > 1) return isIP(h) === 6 ? h.toLowerCase() : undefined;
  const [name = '', port] = h.split(':');
  if (port !== undefined && !/^\d*$/.test(port)) return undefined;
  return normalizeHostName(name);
}

/** What a refused Host is told to do, where --public-host adds names. */
export const PUBLIC_HOST_FIX = 'add it with --public-host if you reach the lab by that name';

export function listed(allowed: ReadonlySet<string>): string {
  return [...allowed].join(', ');
}

/**
 * Host check, against DNS rebinding: a page on `attacker.example`, rebound to 127.0.0.1, reaches
 * this server with `Host: attacker.example`, and is refused. An IP address as Host is accepted:
 * a browser sends one only when the URL holds it, which no rebinding can arrange. A request
 * with no Host comes from no browser (HTTP/1.0 tools), so it is let through.
 */
export function checkHost(
  hostHeader: string | undefined,
  allowed: ReadonlySet<string>,
  fix = PUBLIC_HOST_FIX,
): Refusal | undefined {
  if (hostHeader === undefined) return undefined;
  const name = hostNameOf(hostHeader);
  if (name !== undefined && (allowed.has(name) || isIP(name) !== 0)) return undefined;
  return {
    status: 421,
    code: 'ERR_UNKNOWN_HOST',
    message: `Host "${hostHeader}" is not a name this lab serves (${listed(allowed)}); ${fix}`,
  };
}
