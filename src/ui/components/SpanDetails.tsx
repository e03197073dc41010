import type { JaegerTag } from '../../model/index.js';
import { serviceColor } from '../model/colors.js';
import { formatAttribute, formatDuration } from '../model/format.js';
import type { QueueGap } from '../model/overlay.js';
import type { SpanNode, TraceModel } from '../model/trace.js';

function TagTable({ tags }: { tags: readonly JaegerTag[] }) {
  if (tags.length === 0) return <p class="muted">none</p>;
  return (
    <table class="tags">
      <tbody>
        {tags.map((t, i) => (
          <tr key={`${t.key}${i}`}>
            <th>{t.key}</th>
            <td>{formatAttribute(t.key, t.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The span's events, each at its time from the trace's start. */
function SpanEvents({ node, model }: { node: SpanNode; model: TraceModel }) {
  const { span } = node;
  return (
    <>
      <h4>Events ({span.logs.length})</h4>
      {span.logs.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        span.logs.map((log, i) => (
          <div key={i} class="event">
            <span class="event-time">{formatDuration(log.timestamp - model.startUs)}</span>
            <TagTable tags={log.fields} />
          </div>
        ))
      )}
    </>
  );
}

/** What the span is a child of or links to: a button to a span in this trace, a link to another. */
function SpanReferences({
  node,
  model,
  onSelect,
}: {
  node: SpanNode;
  model: TraceModel;
  onSelect: (id: string) => void;
}) {
  const { span } = node;
  return (
    <>
      <h4>References and links ({span.references.length})</h4>
      {span.references.length === 0 ? (
        <p class="muted">none: a root span</p>
      ) : (
        <ul class="refs">
          {span.references.map((r, i) => {
            const target = model.byId.get(r.spanID);
            return (
              <li key={i}>
                {r.refType === 'CHILD_OF' ? 'child of ' : 'link to '}
                {target ? (
                  <button class="linklike" onClick={() => onSelect(r.spanID)}>
                    {target.service}: {target.span.operationName}
                  </button>
                ) : r.traceID !== model.traceID ? (
                  <a href={`/trace/${r.traceID}`}>
                    span {r.spanID} in trace {r.traceID}
                  </a>
                ) : (
                  <span>span {r.spanID} (not in this trace)</span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}

/** Everything about one span: attributes (resource figures in their units), events, links. */
export function SpanDetails({
  node,
  model,
  gap,
  onSelect,
}: {
  node: SpanNode;
  model: TraceModel;
  gap: QueueGap | undefined;
  onSelect: (id: string) => void;
}) {
  const { span } = node;
  const resource = span.tags.filter((t) => t.key.startsWith('resource.'));
  const others = span.tags.filter((t) => !t.key.startsWith('resource.'));
  const process = model.trace.processes[span.processID];
  return (
    <section class="span-details panel" data-span-id={node.id}>
      <header>
        <i class="service-stripe" style={{ background: serviceColor(node.service) }} />
        <h3>{span.operationName}</h3>
        <span class="muted">{node.service}</span>
        <span class="facts">
          <span>
            Duration <b>{formatDuration(span.duration)}</b>
          </span>
          <span>
            Starts at <b>{formatDuration(node.startUs - model.startUs)}</b>
          </span>
          <span>
            Span <code>{node.id}</code>
          </span>
        </span>
      </header>
      {gap && (
        <p class="gap-note">
          The message waited <b>{formatDuration(gap.waitUs)}</b> in <b>{gap.topic}</b> between the
          end of its <code>send {gap.topic}</code> span and the start of this one.
        </p>
      )}
      {resource.length > 0 && (
        <>
          <h4>Resources while it ran</h4>
          <div class="resource-cards">
            {resource.map((t) => (
              <div key={t.key} class="resource-card">
                <span class="muted">{t.key.replace(/^resource\./, '')}</span>
                <b>{formatAttribute(t.key, t.value)}</b>
              </div>
            ))}
          </div>
        </>
      )}
      <h4>Attributes</h4>
      <TagTable tags={others} />
      <SpanEvents node={node} model={model} />
      <SpanReferences node={node} model={model} onSelect={onSelect} />
      {span.warnings && span.warnings.length > 0 && (
        <>
          <h4>Warnings</h4>
          <ul>
            {span.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </>
      )}
      <details class="process">
        <summary>
          Process: {process?.serviceName ?? span.processID} ({process?.tags.length ?? 0} tags)
        </summary>
        <TagTable tags={process?.tags ?? []} />
      </details>
    </section>
  );
}
