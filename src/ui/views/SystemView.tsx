import { useMemo } from 'preact/hooks';
import { analyzeTraces, queueWaits } from '../../analysis/index.js';
import type { AnalysisReport } from '../../analysis/index.js';
import type { JaegerTrace } from '../../model/index.js';
import { fetchLag, fetchScalingEvents, fetchServices, findTraces } from '../api.js';
import type { Capabilities } from '../api.js';
import { ServiceMapLegend, ServiceMapView } from '../components/ServiceMapView.js';
import { useLoad } from '../hooks.js';
import { formatDuration } from '../model/format.js';
import { breakerReadingsOf, callsOf } from '../model/calls.js';
import { buildServiceMap } from '../model/service-map.js';
import type { Hop } from '../model/service-map.js';
import { isErrorSpan } from '../model/trace.js';

/** The traces the map is drawn from: the latest ones that entered at the API. */
const MAP_SEARCH = { service: 'api-service', lookback: '15m', limit: 300 } as const;
const MAP_POLL_MS = 5000;
const LAG_POLL_MS = 2000;

function hopsOf(trace: JaegerTrace): Hop[] {
  const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
  return queueWaits(trace).map((w) => ({
    fromService: w.fromService,
    topic: w.topic,
    toService: w.toService,
    publishedUs: w.publishedUs,
    waitUs: w.waitUs,
    error: (() => {
      const consumer = byId.get(w.consumerSpanID);
      return consumer ? isErrorSpan(consumer) : false;
    })(),
  }));
}

/** The live lag, read once for the panel and the map's fanned-out topics. */
function useLag(caps: Capabilities) {
  return useLoad(
    (s) => (caps.lag ? fetchLag(s) : Promise.resolve(undefined)),
    [caps.lag],
    caps.lag ? LAG_POLL_MS : undefined,
  );
}

function LagPanel({ caps, lag }: { caps: Capabilities; lag: ReturnType<typeof useLag> }) {
  return (
    <section class="panel lag">
      <h3>Consumer lag {caps.lag && <span class="muted">· live</span>}</h3>
      {!caps.lag && <p class="muted not-available">Consumer lag: {caps.reasons.lag}.</p>}
      {lag.error && <p class="error-box">{lag.error}</p>}
      {lag.value && (
        <table class="grid">
          <thead>
            <tr>
              <th>Group</th>
              <th>Topic</th>
              <th class="num">Lag</th>
              <th class="num">Pending</th>
            </tr>
          </thead>
          <tbody>
            {lag.value.groups.map((g) => (
              <tr key={`${g.group}/${g.topic}`} data-group={g.group}>
                <td>{g.group}</td>
                <td>{g.topic}</td>
                <td class={g.lag > 0 ? 'num lag-high' : 'num'}>{g.lag}</td>
                <td class="num">{g.pending ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The autoscaler's last changes, newest first: what the dashed marks on the trace page are. */
function ScalingPanel() {
  const events = useLoad((s) => fetchScalingEvents(s), [], LAG_POLL_MS);
  const last = [...(events.value ?? [])].reverse().slice(0, 8);
  if (last.length === 0) return null;
  return (
    <section class="panel scaling-panel">
      <h3>
        Scaling events <span class="muted">· tracelab up --autoscale</span>
      </h3>
      <ul class="scale-marks">
        {last.map((e) => (
          <li key={`${e.at}-${e.service}`} data-at={e.at} data-service={e.service}>
            <span class="scale-mark-line" /> {new Date(e.at).toLocaleTimeString()} {e.service}{' '}
            {e.from} → {e.to}: {e.reason}
            {e.error && ` (failed: ${e.error})`}
          </li>
        ))}
      </ul>
    </section>
  );
}

const SEVERITY_LABEL = { critical: 'critical', warning: 'warning', info: 'info' } as const;

/** The analyser's text, its `quoted` names set as code (as text: nothing in it is markup). */
function Quoted({ text }: { text: string }) {
  return (
    <>{text.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part))}</>
  );
}

/** What the analyser finds in the same traces, most severe first. */
function FindingsPanel({ report }: { report: AnalysisReport | undefined }) {
  return (
    <section
      class="panel findings-panel"
      data-bottleneck={report?.bottleneck ? report.bottleneck.service : ''}
    >
      <h3>Findings</h3>
      {!report || report.traces.count === 0 ? (
        <p class="muted">No traces to analyse yet.</p>
      ) : (
        <ul class="findings">
          {report.findings.map((f, i) => (
            <li key={i} class={`finding ${f.severity}`} data-kind={f.kind}>
              <span class={`severity ${f.severity}`}>{SEVERITY_LABEL[f.severity]}</span>{' '}
              <Quoted text={f.text} />
            </li>
          ))}
        </ul>
      )}
      {report && report.traces.count > 0 && (
        <p class="muted">
          From {report.traces.count} traces; the same analysis as <code>tracelab analyze</code>.
        </p>
      )}
    </section>
  );
}

/** The system at a glance: which services talk through which topics, and how it is going. */
export function SystemView({ caps }: { caps: Capabilities }) {
  const services = useLoad((s) => fetchServices(s), [], 10_000);
  const lag = useLag(caps);
  const traces = useLoad((s) => findTraces(MAP_SEARCH, s), [], MAP_POLL_MS);
  const map = useMemo(
    () =>
      buildServiceMap(
        (traces.value ?? []).flatMap(hopsOf),
        services.value ?? [],
        (traces.value ?? []).flatMap(callsOf),
        (traces.value ?? []).flatMap(breakerReadingsOf),
      ),
    [traces.value, services.value],
  );
  const report = useMemo(
    () => (traces.value && traces.value.length > 0 ? analyzeTraces(traces.value) : undefined),
    [traces.value],
  );
  return (
    <div class="system-view">
      <section class="panel service-map">
        <h2>
          Service map{' '}
          <span class="muted">
            · from the last {traces.value?.length ?? 0} traces (15 min)
            {map.windowUs > 0 && `, over ${formatDuration(map.windowUs)}`}
          </span>
        </h2>
        {traces.error && <p class="error-box">{traces.error}</p>}
        {map.services.length === 0 ? (
          <p class="muted">No traces yet: send an order.</p>
        ) : (
          <ServiceMapView map={map} bottleneck={report?.bottleneck} backlog={lag.value?.groups} />
        )}
        <ServiceMapLegend />
        <p class="muted">
          Each topic box: messages per minute, the time a message waited in the topic (p50, p95),
          and the share of messages whose handling failed. Each call box: calls per minute, the time
          the caller waited for the answer (p50, p95), and the share that failed; a caller waits for
          a synchronous call, so its latency adds to the order's own. A call made under a retry
          policy and a circuit breaker also shows its attempts per order (retries included) and the
          breaker as last seen, in red when it is not closed. The bottleneck the analysis names, if
          any, is the red box: the queue whose consumer fell behind in a busy period (Findings says
          why). A topic read by two consumer groups (fan-out) is drawn once, with a box per group:
          each group receives every message, with its own wait and its own live lag.
        </p>
      </section>
      <div class="system-side">
        <LagPanel caps={caps} lag={lag} />
        <ScalingPanel />
        <FindingsPanel report={report} />
      </div>
    </div>
  );
}
