import { useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  readonly value: T | undefined;
  readonly error: string | undefined;
  readonly loading: boolean;
}

/**
 * Loads with `load` when `deps` change, and again every `pollMs` when given (the "live" part:
 * new traces and lag show up without a reload). A newer load cancels an older one.
 */
export function useLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  pollMs?: number,
): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({
    value: undefined,
    error: undefined,
    loading: true,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let stopped = false;
    let controller: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState((s) => ({ ...s, loading: true }));
    const run = async () => {
      controller?.abort();
      controller = new AbortController();
      try {
        const value = await loadRef.current(controller.signal);
        if (!stopped) setState({ value, error: undefined, loading: false });
      } catch (err) {
        if (stopped || (err as Error).name === 'AbortError') return;
        setState((s) => ({ value: s.value, error: (err as Error).message, loading: false }));
      }
      if (!stopped && pollMs) timer = setTimeout(() => void run(), pollMs);
    };
    void run();
    return () => {
      stopped = true;
      controller?.abort();
      if (timer) clearTimeout(timer);
    };
  }, [...deps, pollMs]);
  return state;
}

/** The width in CSS pixels of the element `ref` points at, kept up to date. */
export function useWidth(ref: { readonly current: Element | null }, initial = 800): number {
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}
