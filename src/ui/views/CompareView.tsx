import { useState } from 'preact/hooks';
import { compareTraces } from '../../analysis/index.js';
import type { TraceComparison } from '../../analysis/index.js';
import { fetchTrace } from '../api.js';
import { useLoad } from '../hooks.js';
import { serviceColor } from '../model/colors.js';
import { formatChange, formatDuration } from '../model/format.js';
import { navigate } from '../router.js';
import { buildTraceModel } from '../model/trace.js';
import { uploadedTrace } from '../uploads.js';

/** A change counts as slower or faster past this share of the stage's time. */
const NOTICEABLE_PCT = 10;

function verdict(deltaUs: number | null, deltaPct: number | null): { cls: string; text: string } {
  if (deltaUs === null) return { cls: 'only', text: '' };
  if (deltaUs === 0) return { cls: 'muted', text: 'the same' };
  if (deltaPct !== null && Math.abs(deltaPct) < NOTICEABLE_PCT)
    return { cls: 'muted', text: 'about the same' };
  return deltaUs > 0 ? { cls: 'slower', text: 'slower' } : { cls: 'faster', text: 'faster' };
}

function Picker({ a, b }: { a: string; b: string }) {
  const [ta, setA] = useState(a);
  const [tb, setB] = useState(b);
  return (
    <form
      class="compare-pick panel"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(`/compare?a=${encodeURIComponent(ta.trim())}&b=${encodeURIComponent(tb.trim())}`);
      }}
    >
      <label>
        Trace A (before)
        <input
          name="a"
          value={ta}
          onInput={(e) => setA(e.currentTarget.value)}
          placeholder="trace id"
        />
      </label>
      <label>
        Trace B (after)
        <input
          name="b"
          value={tb}
          onInput={(e) => setB(e.currentTarget.value)}
          placeholder="trace id"
        />
      </label>
      <button type="submit" class="primary">
        Compare
      </button>
    </form>
  );
}

/** Services in pipeline order (as they start in the traces), each one's stages as compared. */
function ComparisonTable({ c, order }: { c: TraceComparison; order: readonly string[] }) {
  const rank = (service: string) => {
    const i = order.indexOf(service);
    return i < 0 ? order.length : i;
  };
  const stages = [...c.stages].sort((x, y) => rank(x.service) - rank(y.service));
  const maxAbs = Math.max(1, ...stages.map((s) => Math.abs(s.deltaUs ?? 0)));
  const whole = verdict(c.durationDeltaUs, c.durationDeltaPct);
  return (
    <>
      <section class="panel">
        <h2>
          End to end: {formatDuration(c.a.durationUs)} → {formatDuration(c.b.durationUs)}{' '}
          <span class={whole.cls}>
            {formatChange(c.a.durationUs, c.b.durationUs)} {whole.text}
          </span>
        </h2>
        <p class="muted">
          A <a href={`/trace/${c.a.traceID}`}>{c.a.traceID}</a> · B{' '}
          <a href={`/trace/${c.b.traceID}`}>{c.b.traceID}</a>
        </p>
      </section>
      <section class="panel">
        <h3>By service and stage</h3>
        <table class="grid stages">
          <thead>
            <tr>
              <th>Service</th>
              <th>Stage</th>
              <th class="num">A</th>
              <th class="num">B</th>
              <th class="num">Change</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {stages.map((s) => {
              const v = verdict(s.deltaUs, s.deltaPct);
              const only = s.a === null ? 'only in B' : s.b === null ? 'only in A' : '';
              return (
                <tr
                  key={`${s.service}/${s.operation}`}
                  class={`stage ${v.cls}`}
                  data-stage={s.operation}
                >
                  <td>
                    <span class="chip" style={{ borderColor: serviceColor(s.service) }}>
                      <i style={{ background: serviceColor(s.service) }} />
                      {s.service}
                    </span>
                  </td>
                  <td>{s.operation}</td>
                  <td class="num">{s.a ? formatDuration(s.a.durationUs) : '—'}</td>
                  <td class="num">{s.b ? formatDuration(s.b.durationUs) : '—'}</td>
                  <td class={`num ${v.cls}`}>
                    {only ||
                      (s.a && s.b
                        ? `${formatChange(s.a.durationUs, s.b.durationUs)} ${v.text}`
                        : '')}
                  </td>
                  <td style={{ width: '160px' }}>
                    {s.deltaUs !== null && (
                      <span
                        class="delta-bar"
                        style={{
                          width: `${(Math.abs(s.deltaUs) / maxAbs) * 150}px`,
                          background: s.deltaUs > 0 ? '#f87171' : '#4ade80',
                        }}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      {c.queues.length > 0 && (
        <section class="panel">
          <h3>Waiting in queues</h3>
          <table class="grid queues">
            <thead>
              <tr>
                <th>Topic</th>
                <th class="num">A</th>
                <th class="num">B</th>
                <th class="num">Change</th>
              </tr>
            </thead>
            <tbody>
              {c.queues.map((q) => {
                const v = verdict(q.deltaUs, q.deltaPct);
                return (
                  <tr key={q.topic}>
                    <td>{q.topic}</td>
                    <td class="num">{q.aUs === null ? '—' : formatDuration(q.aUs)}</td>
                    <td class="num">{q.bUs === null ? '—' : formatDuration(q.bUs)}</td>
                    <td class={`num ${v.cls}`}>
                      {q.aUs !== null && q.bUs !== null
                        ? `${formatChange(q.aUs, q.bUs)} ${v.text}`
                        : 'only in one'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}
      {(c.onlyInA.length > 0 || c.onlyInB.length > 0) && (
        <section class="panel">
          <h3>Spans in only one trace</h3>
          <ul>
            {c.onlyInA.map((k) => (
              <li key={`a${k.service}${k.operation}`}>
                only in A: {k.service} · {k.operation}
              </li>
            ))}
            {c.onlyInB.map((k) => (
              <li key={`b${k.service}${k.operation}`}>
                only in B: {k.service} · {k.operation}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

/** Two traces side by side by service and stage: what got slower or faster, and by how much. */
export function CompareView({ a, b }: { a: string; b: string }) {
  const result = useLoad(
    async (signal) => {
      if (!a || !b) return undefined;
      const get = async (id: string) => uploadedTrace(id) ?? fetchTrace(id, signal);
      const [ta, tb] = await Promise.all([get(a), get(b)]);
      const order = [...buildTraceModel(ta).services, ...buildTraceModel(tb).services];
      return { c: compareTraces(ta, tb), order };
    },
    [a, b],
  );
  return (
    <div class="compare-view">
      <Picker key={`${a}|${b}`} a={a} b={b} />
      {(!a || !b) && (
        <p class="muted">
          Give two trace ids, or tick two traces in Search and press Compare. A is the baseline.
        </p>
      )}
      {result.error && <p class="error-box">{result.error}</p>}
      {result.value && <ComparisonTable c={result.value.c} order={result.value.order} />}
    </div>
  );
}
