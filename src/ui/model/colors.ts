/** One colour per service, the same in every view: the four services first, in pipeline order. */
const KNOWN: Readonly<Record<string, string>> = {
  'api-service': '#3b82f6',
  'processing-service': '#f59e0b',
  'notification-service': '#10b981',
  'analytics-service': '#a855f7',
};
const OTHERS = ['#ef4444', '#14b8a6', '#6366f1', '#84cc16', '#ec4899', '#0ea5e9'];

export function serviceColor(service: string): string {
  const known = KNOWN[service];
  if (known) return known;
  let h = 0;
  for (let i = 0; i < service.length; i++) h = (h * 31 + service.charCodeAt(i)) >>> 0;
  return OTHERS[h % OTHERS.length]!;
}
