import { useEffect, useState } from 'preact/hooks';

/** The page's path and query, kept in the address bar like Jaeger's own routes. */
export interface Location {
  readonly path: string;
  readonly query: URLSearchParams;
}

const current = (): Location => ({
  path: window.location.pathname,
  query: new URLSearchParams(window.location.search),
});

const listeners = new Set<() => void>();

export function navigate(url: string, replace = false): void {
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  for (const l of listeners) l();
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => setLoc(current());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return loc;
}

/** Follows same-origin links without a reload; a modified click still opens a new tab. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.target as Element).closest('a');
  if (!a || a.target || a.hasAttribute('download') || e.button !== 0) return;
  if (e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}
