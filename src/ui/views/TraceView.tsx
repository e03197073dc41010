import { useMemo, useState } from 'preact/hooks';
import type { JaegerSpan, JaegerTrace } from '../../model/index.js';
import { fetchChain, fetchTrace } from '../api.js';
import type { Capabilities } from '../api.js';
import { LinkedTraces } from '../components/LinkedTraces.js';
import { ResourceCharts } from '../components/ResourceCharts.js';
import { SpanDetails } from '../components/SpanDetails.js';
import { Waterfall } from '../components/Waterfall.js';
import { useLoad } from '../hooks.js';
import { serviceColor } from '../model/colors.js';
import { traceDbWork } from '../model/db-span.js';
import { formatDateTime, formatDuration } from '../model/format.js';
import { traceOverlay } from '../model/trace-analysis.js';
import { buildTraceModel } from '../model/trace.js';
import { traceFileText } from '../model/trace-file.js';
import { uploadedTrace } from '../uploads.js';

function download(trace: JaegerTrace): void {
  const url = URL.createObjectURL(new Blob([traceFileText(trace)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `trace-${trace.traceID}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const asChainSpan =
  (chain: JaegerTrace) =>
  (span: JaegerSpan): JaegerSpan => ({ ...span, traceID: chain.traceID });

export function TraceView({
  traceID,
  caps,
  fromFile,
  chain = false,
}: {
  traceID: string;
  caps: Capabilities;
  fromFile: boolean;
  /** The trace and every trace linked to it, as one waterfall. */
  chain?: boolean;
}) {
  const key = `${traceID}${chain ? ':chain' : ''}`;
  // Each trace comes with the key it was loaded for: until the new one arrives, the last is
  // still loaded, and must not be drawn under the new one's title (a chain's, say).
  const loaded = useLoad(
    async (signal) => ({
      key,
      trace:
        (fromFile ? uploadedTrace(traceID) : undefined) ??
        (await (chain ? fetchChain(traceID, signal) : fetchTrace(traceID, signal))),
    }),
    [traceID, fromFile, chain],
  );
  if (loaded.error)
    return (
      <p class="error-box">
        Trace {traceID}: {loaded.error}
      </p>
    );
  if (loaded.value?.key !== key) return <p class="muted">Loading trace {traceID}…</p>;
  return (
    <TraceLoaded
      key={key}
      trace={loaded.value.trace}
      caps={caps}
      fromFile={fromFile}
      chain={chain}
    />
  );
}

function TraceLoaded({
  trace,
  caps,
  fromFile,
  chain,
}: {
  trace: JaegerTrace;
  caps: Capabilities;
  fromFile: boolean;
  chain: boolean;
}) {
  const model = useMemo(() => buildTraceModel(trace), [trace]);
  // A chain's spans keep their own trace ids; the analysis reads it as the one trace it is.
  const overlay = useMemo(
    () => traceOverlay(chain ? { ...trace, spans: trace.spans.map(asChainSpan(trace)) } : trace),
    [trace, chain],
  );
  const db = useMemo(() => traceDbWork(model.ordered), [model]);
  const [selected, setSelected] = useState<string>();
  const node = selected ? model.byId.get(selected) : undefined;
  const root = model.roots[0];
  const warnings = [...model.warnings, ...overlay.warnings];
  return (
    <div class="trace-view">
      <section class="trace-header panel">
        <div class="title-row">
          <h1>
            {chain && 'Chain from '}
            {root ? `${root.service}: ${root.span.operationName}` : 'empty trace'}
            <span class="trace-id">{trace.traceID}</span>
          </h1>
          <div class="actions">
            <a class="button" href={`/compare?a=${trace.traceID}`}>
              Compare…
            </a>
            <button onClick={() => download(trace)}>Download JSON</button>
          </div>
        </div>
        <TraceFacts model={model} overlay={overlay} db={db} />
        <div class="chips">
          {model.services.map((s) => (
            <span key={s} class="chip" style={{ borderColor: serviceColor(s) }}>
              <i style={{ background: serviceColor(s) }} />
              {s}
            </span>
          ))}
          {fromFile && <span class="chip">opened from a file</span>}
          {chain && (
            <a class="chip" href={`/trace/${trace.traceID}`}>
              linked traces stitched into one: back to the first alone
            </a>
          )}
        </div>
        {warnings.length > 0 && (
          <details class="warnings">
            <summary>{warnings.length} warning(s) about this trace</summary>
            <ul>
              {warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          </details>
        )}
      </section>
      {!fromFile && <LinkedTraces traceID={trace.traceID} inChain={chain} />}
      <Waterfall model={model} overlay={overlay} selected={selected} onSelect={setSelected} />
      {node && (
        <SpanDetails
          node={node}
          model={model}
          gap={overlay.gapBySpan.get(node.id)}
          onSelect={setSelected}
        />
      )}
      <ResourceCharts model={model} caps={caps} />
    </div>
  );
}

/** The trace's figures under its title: size, time, errors, queues, database, critical path. */
function TraceFacts({
  model,
  overlay,
  db,
}: {
  model: ReturnType<typeof buildTraceModel>;
  overlay: ReturnType<typeof traceOverlay>;
  db: ReturnType<typeof traceDbWork>;
}) {
  return (
    <dl class="facts">
      <div>
        <dt>Duration</dt>
        <dd class="duration">{formatDuration(model.durationUs)}</dd>
      </div>
      <div>
        <dt>Started</dt>
        <dd>{formatDateTime(model.startUs)}</dd>
      </div>
      <div>
        <dt>Services</dt>
        <dd>{model.services.length}</dd>
      </div>
      <div>
        <dt>Depth</dt>
        <dd>{model.depth}</dd>
      </div>
      <div>
        <dt>Spans</dt>
        <dd class="span-count">{model.ordered.length}</dd>
      </div>
      <div>
        <dt>Errors</dt>
        <dd class={model.errorCount > 0 ? 'error-mark' : ''}>{model.errorCount}</dd>
      </div>
      {overlay.gaps.length > 0 && (
        <div>
          <dt>Waiting in queues</dt>
          <dd>{formatDuration(overlay.gaps.reduce((s, g) => s + g.waitUs, 0))}</dd>
        </div>
      )}
      {db.statements > 0 && (
        <div class="db-facts-header">
          <dt>Database</dt>
          <dd>
            {db.statements} statement{db.statements > 1 ? 's' : ''},{' '}
            {formatDuration(db.statementsUs)}
            {db.poolWaitUs > 0 && (
              <span class="muted"> ({formatDuration(db.poolWaitUs)} waiting for a connection)</span>
            )}
          </dd>
        </div>
      )}
      {overlay.criticalUs > 0 && (
        <div>
          <dt>Critical path</dt>
          <dd>
            {formatDuration(overlay.criticalUs)}
            <span class="muted"> ({formatDuration(overlay.criticalQueueUs)} queued)</span>
          </dd>
        </div>
      )}
    </dl>
  );
}
