/**
 * The message a child of `tracelab up` sends on its IPC channel once it really serves:
 * the addresses it listens on, by name (`api`, `otlp`, `query`), and their ports.
 */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly urls: Readonly<Record<string, string>>;
  readonly ports: Readonly<Record<string, number>>;
}

export function readyMessage(urls: Readonly<Record<string, string>>): ReadyMessage {
  const ports: Record<string, number> = {};
  for (const [name, url] of Object.entries(urls)) {
    const u = new URL(url);
    // URL leaves a scheme's default port out.
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    if (port) ports[name] = port;
  }
  return { type: 'ready', urls, ports };
}

export function isReadyMessage(m: unknown): m is ReadyMessage {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Partial<ReadyMessage>;
  return r.type === 'ready' && typeof r.urls === 'object' && typeof r.ports === 'object';
}
