import { isIP } from 'node:net';

/** The header that stops a browser from reading a JSON answer as a script or a page. */
export const NOSNIFF = { name: 'x-content-type-options', value: 'nosniff' } as const;

/** True when a bind address reaches this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackBind(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return /^::ffff:127\./.test(h);
}

/**
 * The line a server bound beyond loopback prints once: what anyone who can reach its ports may
 * do, since none of the lab's servers asks who is calling. Undefined on loopback.
 */
export function bindWarning(
  server: string,
  host: string,
  ports: readonly number[],
  exposure: string,
): string | undefined {
  if (isLoopbackBind(host)) return undefined;
  const where =
    ports.length === 1 ? hostPort(host, ports[0]!) : `${host} (ports ${ports.join(', ')})`;
  return `${server} on ${where} has no authentication: anyone who can reach this host can ${exposure}`;
}

/** `host:port`, an IPv6 address in brackets. */
function hostPort(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/**
 * What to tell the user when a server cannot take its address, naming the flag to change;
 * undefined for an error that is not about the address.
 */
export function listenFailure(
  err: unknown,
  where: {
    readonly host: string;
    readonly port: number;
    readonly portFlag: string;
    readonly hostFlag: string;
  },
): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const at = `cannot listen on ${hostPort(where.host, where.port)}: ${code}`;
  if (code === 'EADDRINUSE' || code === 'EACCES')
    return `${at}; give another ${where.portFlag}, or 0 for any`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `${at}; give another ${where.hostFlag}, an address of this machine`;
  return undefined;
}
