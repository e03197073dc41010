import type { JaegerTag } from '../../model/index.js';
import { serviceColor } from '../model/colors.js';
import { dbCallOf, dbWorkUnder, poolConnectOf } from '../model/db-span.js';
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

/** A database statement span: the statement itself, where it ran, the rows it returned. */
function DatabaseCall({ node }: { node: SpanNode }) {
  const db = dbCallOf(node.span);
  if (!db) return null;
  return (
    <div class="db-call">
      <h4>
        Database statement <span class="muted">· {db.system}</span>
        {db.namespace && <span class="muted"> · database {db.namespace}</span>}
        {db.server && <span class="muted"> · {db.server}</span>}
      </h4>
      {db.statement !== undefined ? (
        <pre class="statement">{db.statement}</pre>
      ) : (
        <p class="muted">No statement recorded (connecting, or a call without one).</p>
      )}
      <p class="db-facts">
        {db.operation && (
          <span>
            Operation <b>{db.operation}</b>
          </span>
        )}
        <span>
          Took <b>{formatDuration(node.span.duration)}</b>
        </span>
        {db.rows !== undefined && (
          <span class="db-rows">
            Rows returned <b>{db.rows}</b>
          </span>
        )}
      </p>
    </div>
  );
}

/** A pool's connect span: how long it waited for a free connection, apart from opening one. */
function PoolWaitNote({ node }: { node: SpanNode }) {
  const pool = poolConnectOf(node);
  if (!pool) return null;
  return (
    <p class={pool.waitUs >= 1000 ? 'pool-wait waited' : 'pool-wait'}>
      Waited <b>{formatDuration(pool.waitUs)}</b> for a pooled connection
      {pool.openingUs > 0 ? (
        <>
          , and <b>{formatDuration(pool.openingUs)}</b> opening a new one
        </>
      ) : (
        ''
      )}
      . {pool.waitUs >= 1000 && 'Every connection of the pool was in use by other calls.'}
    </p>
  );
}

/** The database work under a span: statements, time in them, waiting for connections. */
function DatabaseWork({ node }: { node: SpanNode }) {
  const work = dbWorkUnder(node);
  if (!work) return null;
  return (
    <p class="db-work">
      Under this span: <b>{work.statements}</b> database statement(s) taking{' '}
      <b>{formatDuration(work.statementsUs)}</b>
      {work.connects > 0 && (
        <>
          ; waited <b class="pool-wait-total">{formatDuration(work.poolWaitUs)}</b> for a pooled
          connection ({work.connects} connect{work.connects > 1 ? 's' : ''})
        </>
      )}
      {work.repeated && (
        <>
          ; the same statement ran <b>{work.repeated.count} times</b>:{' '}
          <code>{work.repeated.statement}</code>
        </>
      )}
      .
    </p>
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
      <DatabaseCall node={node} />
      <PoolWaitNote node={node} />
      <DatabaseWork node={node} />
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
