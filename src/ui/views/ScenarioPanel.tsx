import { useState } from 'preact/hooks';
import { answerScenario, fetchScenario, nextScenarioHint } from '../api.js';
import type { ScenarioGrade, ScenarioView } from '../api.js';
import { useLoad } from '../hooks.js';

/** Hints given from a terminal show up here too: the lab holds one count. */
const SCENARIO_POLL_MS = 3000;

/**
 * The scenario the lab runs (`tracelab scenario start`): its question, the hints shown so far,
 * and an answer form the lab grades as `tracelab scenario answer` does. The page never holds
 * the answer: only the lab's grade of the learner's.
 */
export function ScenarioPanel() {
  const [version, setVersion] = useState(0);
  const loaded = useLoad((signal) => fetchScenario(signal), [version], SCENARIO_POLL_MS);
  const s = loaded.value;
  if (loaded.error && s === undefined) {
    return <div class="error-box">The scenario could not be read: {loaded.error}</div>;
  }
  if (s === undefined) return <p class="muted">Loading the scenario…</p>;
  if (s === null) {
    return (
      <section class="panel scenario">
        <h2>Scenario</h2>
        <p class="muted scenario-none">
          No scenario running — start one with <code>tracelab scenario start &lt;id&gt;</code> (or{' '}
          <code>--mystery</code>); <code>tracelab scenario list</code> lists them.
        </p>
      </section>
    );
  }
  return <Running key={s.id ?? s.title} s={s} reload={() => setVersion((v) => v + 1)} />;
}

function Running({ s, reload }: { s: ScenarioView; reload: () => void }) {
  const [service, setService] = useState('');
  const [cause, setCause] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<ScenarioGrade>();
  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel scenario">
      <h2>
        {s.title} {s.level && <span class="badge">{s.level}</span>}
      </h2>
      <p class="scenario-question">{s.question}</p>
      {s.views.length > 0 && (
        <>
          <h4>Where to look</h4>
          <ul class="scenario-links">
            {s.views.map((v) => (
              <li key={v.url}>
                <a href={v.url}>{v.label}</a>
              </li>
            ))}
          </ul>
        </>
      )}
      <h4>
        Hints{' '}
        <span class="muted">
          ({s.hintsShown} of {s.hintsTotal} shown)
        </span>
      </h4>
      {s.hints.length > 0 && (
        <ol class="scenario-hints">
          {s.hints.map((h) => (
            <li key={h}>{h}</li>
          ))}
        </ol>
      )}
      <button
        type="button"
        class="scenario-hint"
        disabled={busy || s.hintsShown >= s.hintsTotal}
        onClick={() =>
          void act(async () => {
            await nextScenarioHint();
            reload();
          })
        }
      >
        {s.hintsShown >= s.hintsTotal ? 'Every hint is shown' : `Show hint ${s.hintsShown + 1}`}
      </button>
      <h4>Your answer</h4>
      <form
        class="scenario-answer"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => setResult(await answerScenario(service, cause)));
        }}
      >
        <Choice
          label="Service"
          name="service"
          value={service}
          set={setService}
          none="choose a service…"
          options={s.services}
        />
        <Choice
          label="Cause"
          name="cause"
          value={cause}
          set={setCause}
          none="(any: the service only)"
          options={s.causes}
        />
        <button type="submit" class="primary" disabled={busy || service === ''}>
          {busy ? 'Grading…' : 'Answer'}
        </button>
      </form>
      {error && <div class="error-box">{error}</div>}
      {result && <GradeBox g={result} />}
    </section>
  );
}

function Choice(p: {
  label: string;
  name: string;
  value: string;
  set: (v: string) => void;
  /** The empty choice's words. */
  none: string;
  options: readonly string[];
}) {
  return (
    <label>
      {p.label}
      <select
        name={p.name}
        value={p.value}
        onChange={(e) => p.set((e.target as HTMLSelectElement).value)}
      >
        <option value="">{p.none}</option>
        {p.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

function GradeBox({ g }: { g: ScenarioGrade }) {
  return (
    <div class={g.correct ? 'scenario-result correct' : 'scenario-result wrong'}>
      <h3>{g.correct ? 'Correct.' : 'Not quite.'}</h3>
      <p>{g.explanation}</p>
      {g.evidence && (
        <>
          <h4>
            What the traces show about {g.evidence.service}{' '}
            <span class="muted">({g.evidence.traces} traces)</span>
          </h4>
          <ul class="scenario-evidence">
            {g.evidence.lines.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
          {g.evidence.links.length > 0 && <h4>Where it shows</h4>}
          {g.evidence.links.length > 0 && (
            <ul class="scenario-links">
              {g.evidence.links.map((l) => (
                <li key={l.url}>
                  <a href={l.url}>{l.label}</a>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}
