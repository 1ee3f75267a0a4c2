// Hooks the pages share: loading data, a ticking clock, polling with backoff.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

// Runs `load` when `deps` change (and on reload()); keeps the last data while reloading.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({
    loading: true,
  });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ data: s.data, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

// The current time, updated every `ms` while `active`.
export function useNow(ms: number, active = true): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms, active]);
  return now;
}

// Calls `poll` until it returns false: first after `first` ms, then each wait doubling up to
// `max`. kick() polls again soon (after an action whose outcome is on its way). Errors count as
// "keep polling" (a brief outage of the API does not stop the page from following the order).
export function usePolling(
  poll: () => Promise<boolean>,
  active: boolean,
  options: { first?: number; max?: number } = {},
): { kick: () => void } {
  const first = options.first ?? 1000;
  const max = options.max ?? 8000;
  const pollRef = useRef(poll);
  pollRef.current = poll;
  const [epoch, setEpoch] = useState(0);
  useEffect(() => {
    if (!active) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = first;
    const tick = async () => {
      let again = true;
      try {
        again = await pollRef.current();
      } catch {
        again = true;
      }
      if (stopped || !again) return;
      delay = Math.min(delay * 2, max);
      timer = setTimeout(tick, delay);
    };
    timer = setTimeout(tick, epoch === 0 ? first : 300);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [active, epoch, first, max]);
  return { kick: useCallback(() => setEpoch((e) => e + 1), []) };
}

export interface PagedList<T> {
  items: T[];
  more: boolean;
  loading: boolean;
  error: unknown;
  // Loads the next (older) page after the last item.
  loadMore: () => void;
  reload: () => void;
}

// A list read newest first in pages of `size` (`?limit=size&before=<last id>`), as
// GET /api/tickets and GET /api/tickets/mine serve it; more pages are appended.
export function usePagedList<T extends { id: string }>(
  load: (page: { limit: number; before?: string }) => Promise<T[]>,
  size: number,
): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const fetchPage = useCallback(
    async (before?: string) => {
      setLoading(true);
      setError(null);
      try {
        const page = await loadRef.current({ limit: size, before });
        setItems((old) => (before ? [...old, ...page] : page));
        setMore(page.length === size);
      } catch (e) {
        setError(e);
      } finally {
        setLoading(false);
      }
    },
    [size],
  );
  useEffect(() => {
    void fetchPage();
  }, [fetchPage]);
  return {
    items,
    more,
    loading,
    error,
    loadMore: () => void fetchPage(items[items.length - 1]?.id),
    reload: () => void fetchPage(),
  };
}
