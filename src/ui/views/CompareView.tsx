import { useState } from 'preact/hooks';
import { compareTraces, verdictOf } from '../../analysis/index.js';
import type { ChangeRow, ChangeTone, RowVerdict, TraceComparison } from '../../analysis/index.js';
import { fetchTrace } from '../api.js';
import { useLoad } from '../hooks.js';
import { serviceColor } from '../model/colors.js';
import { formatChange, formatDuration } from '../model/format.js';
import { navigate } from '../router.js';
import { uploadedTrace } from '../uploads.js';

/** The whole trace: slower or faster past the analysis' noise rule, else about the same. */
function wholeVerdict(v: RowVerdict): { cls: string; text: string } {
  if (v === 'slower') return { cls: 'slower', text: 'slower' };
  if (v === 'faster') return { cls: 'faster', text: 'faster' };
  return { cls: 'muted', text: 'about the same' };
}

/** Bar colours by tone: only a shorter critical path is green. */
const BAR: Record<ChangeTone, string> = {
  worse: '#f87171',
  better: '#4ade80',
  neutral: '#cbd5e1',
  only: '#c4b5fd',
};

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

const time = (us: number | null) => (us === null ? '—' : formatDuration(us));

/** Where a row sits on the critical path: its time there in A and B, or off it. */
function pathCell(r: ChangeRow): string {
  if (!r.onPath) return r.viaChildren ? 'through its children' : 'off the path';
  return `${formatDuration(r.pathAUs)} → ${formatDuration(r.pathBUs)}`;
}

/** What a row's change is, in a word a reader can act on. */
function toneText(r: ChangeRow): string {
  if (r.tone === 'only') return '';
  if (r.verdict === 'same') return 'about the same';
  if (!r.onPath && !r.viaChildren) return `${r.verdict}, off the critical path`;
  return r.verdict;
}

/**
 * Stages and queue waits in one table, the largest change of time on the critical path first:
 * the row at the top is what made B slower or faster end to end.
 */
function ComparisonTable({ c }: { c: TraceComparison }) {
  const maxAbs = Math.max(1, ...c.changes.map((r) => Math.abs(r.deltaUs ?? 0)));
  const whole = wholeVerdict(verdictOf(c.a.durationUs, c.b.durationUs));
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
        <h3>What changed, largest change on the critical path first</h3>
        <p class="muted">
          Time per stage and per queue (a message waiting between a send and its consumer), summed
          over the trace. Red: it made the critical path longer; green: it made it shorter; grey:
          off the critical path or within noise, so it changed nothing a user waits for.
        </p>
        <table class="grid changes">
          <thead>
            <tr>
              <th>Service</th>
              <th>Stage or queue</th>
              <th class="num">A</th>
              <th class="num">B</th>
              <th class="num">Change</th>
              <th class="num">On the critical path</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {c.changes.map((r) => (
              <tr
                key={`${r.kind}/${r.service}/${r.operation}`}
                class={`change ${r.kind} ${r.tone}`}
                data-kind={r.kind}
                data-stage={r.operation}
                data-tone={r.tone}
                {...(r.topic !== undefined ? { 'data-topic': r.topic } : {})}
              >
                <td>
                  <span class="chip" style={{ borderColor: serviceColor(r.service) }}>
                    <i style={{ background: serviceColor(r.service) }} />
                    {r.service}
                  </span>
                </td>
                <td>{r.kind === 'queue' ? `waiting in ${r.topic ?? ''}` : r.operation}</td>
                <td class="num">{time(r.aUs)}</td>
                <td class="num">{time(r.bUs)}</td>
                <td class={`num change-figure ${r.tone}`}>
                  {r.change} <span class="why">{toneText(r)}</span>
                </td>
                <td class="num">{pathCell(r)}</td>
                <td style={{ width: '160px' }}>
                  {r.deltaUs !== null && r.deltaUs !== 0 && (
                    <span
                      class="delta-bar"
                      style={{
                        width: `${Math.max(2, (Math.abs(r.deltaUs) / maxAbs) * 150)}px`,
                        background: BAR[r.tone],
                      }}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
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

/** Two traces side by side: what changed on the critical path first, and by how much. */
export function CompareView({ a, b }: { a: string; b: string }) {
  const result = useLoad(
    async (signal) => {
      if (!a || !b) return undefined;
      const get = async (id: string) => uploadedTrace(id) ?? fetchTrace(id, signal);
      const [ta, tb] = await Promise.all([get(a), get(b)]);
      return compareTraces(ta, tb);
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
      {result.value && <ComparisonTable c={result.value} />}
    </div>
  );
}
