import { useMemo, useState } from 'preact/hooks';
import { fetchOperations, fetchServices, findTraces, parseTagFilter } from '../api.js';
import type { TraceSearch } from '../api.js';
import { Scatter } from '../components/Scatter.js';
import { useLoad } from '../hooks.js';
import { serviceColor } from '../model/colors.js';
import { formatAgo, formatDateTime, formatDuration } from '../model/format.js';
import { summarizeTrace } from '../model/trace.js';
import type { TraceSummary } from '../model/trace.js';
import { navigate } from '../router.js';

const LOOKBACKS: readonly [string, string][] = [
  ['5m', 'Last 5 minutes'],
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['6h', 'Last 6 hours'],
  ['1d', 'Last day'],
  ['2d', 'Last 2 days'],
];
/**
 * What a learner looks for first: the orders, as the API's server span names them. The lab's
 * own polling is not traced (see docs/ui.md); choosing "all" operations lists a learner's other
 * requests too.
 */
const DEFAULT_SERVICE = 'api-service';
const DEFAULT_OPERATION = 'POST /order';
const LIVE_POLL_MS = 3000;

/**
 * The search the URL asks for. With no service in it (the page as first opened) that is the
 * orders: api-service's `POST /order`; a search the form sent keeps what it says ("all"
 * operations included).
 */
function searchFrom(query: URLSearchParams, services: readonly string[]): TraceSearch | undefined {
  const chosen = query.get('service');
  const orders = chosen === null && services.includes(DEFAULT_SERVICE);
  const service = chosen ?? (orders ? DEFAULT_SERVICE : services[0]);
  if (!service) return undefined;
  const get = (k: string) => query.get(k) ?? undefined;
  const operation = get('operation') ?? (orders ? DEFAULT_OPERATION : undefined);
  return {
    service,
    ...(operation ? { operation } : {}),
    ...(get('tags') ? { tags: get('tags')! } : {}),
    ...(get('minDuration') ? { minDuration: get('minDuration')! } : {}),
    ...(get('maxDuration') ? { maxDuration: get('maxDuration')! } : {}),
    lookback: get('lookback') ?? '1h',
    limit: Number(get('limit') ?? 20) || 20,
  };
}

/** The operations to offer, the searched one included before any trace of it has arrived. */
function withCurrent(operations: readonly string[], current: string | undefined): string[] {
  return current && !operations.includes(current) ? [current, ...operations] : [...operations];
}

function SearchForm({ search, services }: { search: TraceSearch; services: readonly string[] }) {
  const [service, setService] = useState(search.service);
  const operations = useLoad((s) => fetchOperations(service, s), [service]);
  const [tagError, setTagError] = useState<string>();
  const onSubmit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const tagsField = form.get('tags');
    const tags = typeof tagsField === 'string' ? tagsField.trim() : '';
    if (tags && !parseTagFilter(tags)) {
      setTagError('write tags as key=value, separated by spaces');
      return;
    }
    setTagError(undefined);
    const p = new URLSearchParams();
    for (const [k, v] of form.entries()) if (typeof v === 'string' && v.trim()) p.set(k, v.trim());
    navigate(`/search?${p.toString()}`);
  };
  return (
    <form class="search-form panel" onSubmit={onSubmit}>
      <h2>Find traces</h2>
      <label>
        Service
        <select name="service" value={service} onChange={(e) => setService(e.currentTarget.value)}>
          {services.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Operation
        <select name="operation" value={search.operation ?? ''}>
          <option value="">all</option>
          {withCurrent(
            operations.value ?? [],
            service === search.service ? search.operation : undefined,
          ).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      <label>
        Tags
        <input name="tags" placeholder="e.g. workload.intensity=severe" value={search.tags ?? ''} />
        {tagError && <span class="field-error">{tagError}</span>}
      </label>
      <label>
        Lookback
        <select name="lookback" value={search.lookback}>
          {LOOKBACKS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <div class="row2">
        <label>
          Min duration
          <input name="minDuration" placeholder="e.g. 100ms" value={search.minDuration ?? ''} />
        </label>
        <label>
          Max duration
          <input name="maxDuration" placeholder="e.g. 5s" value={search.maxDuration ?? ''} />
        </label>
      </div>
      <label>
        Limit results
        <input name="limit" type="number" min="1" max="1500" value={search.limit ?? 20} />
      </label>
      <button type="submit" class="primary">
        Find traces
      </button>
    </form>
  );
}

function ResultItem({
  t,
  maxUs,
  nowUs,
  picked,
  onPick,
}: {
  t: TraceSummary;
  maxUs: number;
  nowUs: number;
  picked: boolean;
  onPick: () => void;
}) {
  return (
    <li class={t.errorCount > 0 ? 'result has-error' : 'result'} data-trace-id={t.traceID}>
      <div class="result-head">
        <input type="checkbox" checked={picked} onChange={onPick} title="pick two to compare" />
        <a class="result-title" href={`/trace/${t.traceID}`}>
          {t.rootName}
          <span class="trace-id">{t.traceID.slice(0, 7)}</span>
        </a>
        <span class="result-duration">{formatDuration(t.durationUs)}</span>
      </div>
      <div class="duration-track">
        <div
          class="duration-bar"
          style={{ width: `${Math.max(0.5, (t.durationUs / maxUs) * 100)}%` }}
        />
      </div>
      <div class="result-meta">
        <span class="count">{t.spanCount} spans</span>
        {t.errorCount > 0 && <span class="error-mark">{t.errorCount} errors</span>}
        <span class="chips">
          {t.services.map((s) => (
            <span key={s.name} class="chip" style={{ borderColor: serviceColor(s.name) }}>
              <i style={{ background: serviceColor(s.name) }} />
              {s.name} ({s.spans}){s.errors > 0 && <b class="error-mark"> !</b>}
            </span>
          ))}
        </span>
        <span class="when" title={formatDateTime(t.startUs)}>
          {formatDateTime(t.startUs)} · {formatAgo(t.startUs, nowUs)}
        </span>
      </div>
    </li>
  );
}

export function SearchView({ query }: { query: URLSearchParams }) {
  const services = useLoad((s) => fetchServices(s), [], 10_000);
  const serviceList = useMemo(() => [...(services.value ?? [])].sort(), [services.value]);
  const search = searchFrom(query, serviceList);
  const key = search ? JSON.stringify(search) : '';
  const [live, setLive] = useState(true);
  const [picked, setPicked] = useState<string[]>([]);
  const results = useLoad(
    async (signal) => (search ? (await findTraces(search, signal)).map(summarizeTrace) : []),
    [key],
    live ? LIVE_POLL_MS : undefined,
  );
  const traces = useMemo(
    () => [...(results.value ?? [])].sort((a, b) => b.startUs - a.startUs),
    [results.value],
  );
  const maxUs = Math.max(1, ...traces.map((t) => t.durationUs));
  const nowUs = Date.now() * 1000;
  const pick = (id: string) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id].slice(-2)));

  return (
    <div class="search-view">
      {search ? (
        <SearchForm key={key} search={search} services={serviceList} />
      ) : (
        <div class="panel search-form">
          <h2>Find traces</h2>
          <p class="muted">
            {services.error ??
              (services.loading ? 'Loading services…' : 'No services have sent traces yet.')}
          </p>
        </div>
      )}
      <section class="results">
        <Scatter traces={traces} />
        <div class="results-bar">
          <h2>
            {traces.length} {traces.length === 1 ? 'trace' : 'traces'}
            {search && (
              <span class="muted">
                {' '}
                for {search.service}
                {search.operation ? ` · ${search.operation}` : ''}
              </span>
            )}
          </h2>
          <label class="live">
            <input type="checkbox" checked={live} onChange={() => setLive(!live)} /> live
          </label>
          <button
            disabled={picked.length !== 2}
            onClick={() => navigate(`/compare?a=${picked[0]}&b=${picked[1]}`)}
            title="tick two traces to compare them"
          >
            Compare {picked.length}/2
          </button>
        </div>
        {results.error && <p class="error-box">{results.error}</p>}
        {!results.error && traces.length === 0 && !results.loading && (
          <p class="muted">No traces match. Send an order, or widen the lookback.</p>
        )}
        <ul class="result-list">
          {traces.map((t) => (
            <ResultItem
              key={t.traceID}
              t={t}
              maxUs={maxUs}
              nowUs={nowUs}
              picked={picked.includes(t.traceID)}
              onPick={() => pick(t.traceID)}
            />
          ))}
        </ul>
      </section>
    </div>
  );
}
