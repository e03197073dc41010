import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { serviceColor } from '../model/colors.js';
import { formatDuration } from '../model/format.js';
import { dbCallOf, dbLabelOf } from '../model/db-span.js';
import type { TraceOverlay } from '../model/overlay.js';
import type { SpanNode, TraceModel } from '../model/trace.js';
import { visibleRows } from '../model/trace.js';

const ROW_HEIGHT = 26;
const LABEL_WIDTH = 360;
const INDENT_PX = 12;
/** Rows drawn beyond the visible ones, so a quick scroll shows no blank. */
const OVERSCAN = 12;

interface WaterfallProps {
  readonly model: TraceModel;
  readonly overlay: TraceOverlay;
  readonly selected: string | undefined;
  readonly onSelect: (id: string) => void;
}

/** Time ticks across the trace: 0 %, 25 % … 100 % of its duration. */
function Ruler({ durationUs }: { durationUs: number }) {
  return (
    <div class="ruler">
      {[0, 0.25, 0.5, 0.75, 1].map((f) => (
        <span key={f} class="tick" style={{ left: `${f * 100}%` }}>
          {formatDuration(f * durationUs)}
        </span>
      ))}
    </div>
  );
}

/**
 * The spans of a trace on one time axis, in tree order, coloured by service. Only the rows in
 * view are in the DOM, so a trace of thousands of spans draws as fast as one of twenty.
 */
export function Waterfall({ model, overlay, selected, onSelect }: WaterfallProps) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(600);
  const scroller = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (scroller.current) setViewHeight(scroller.current.clientHeight);
  }, []);
  const rows = useMemo(() => visibleRows(model, collapsed), [model, collapsed]);

  const toggle = (id: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const collapseAll = () =>
    setCollapsed(
      new Set(
        model.ordered
          .filter((n) => n.children.length > 0 && n.parent && n.parent.service !== n.service)
          .map((n) => n.id),
      ),
    );

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN);
  const duration = model.durationUs || 1;
  const pct = (us: number) => ((us - model.startUs) / duration) * 100;

  return (
    <div class="waterfall">
      <div class="waterfall-tools">
        <button onClick={() => setCollapsed(new Set())}>Expand all</button>
        <button onClick={collapseAll} title="fold each service's spans under its first span">
          Collapse services
        </button>
        <span class="legend">
          {model.services.map((s) => (
            <span key={s} class="legend-item">
              <i style={{ background: serviceColor(s) }} />
              {s}
            </span>
          ))}
          <span class="legend-item">
            <i class="legend-gap" />
            queue wait
          </span>
          <span class="legend-item">
            <i class="legend-critical" />
            critical path
          </span>
        </span>
      </div>
      <div class="waterfall-head">
        <div class="label-col" style={{ width: `${LABEL_WIDTH}px` }}>
          Service &amp; operation
        </div>
        <div class="timeline-col">
          <Ruler durationUs={model.durationUs} />
        </div>
      </div>
      <div
        class="waterfall-body"
        ref={scroller}
        onScroll={(e) => {
          setScrollTop(e.currentTarget.scrollTop);
          setViewHeight(e.currentTarget.clientHeight);
        }}
      >
        <div class="rows" style={{ height: `${rows.length * ROW_HEIGHT}px` }}>
          {rows.slice(first, last).map((node, i) => (
            <Row
              key={node.id}
              node={node}
              top={(first + i) * ROW_HEIGHT}
              pct={pct}
              overlay={overlay}
              selected={node.id === selected}
              collapsed={collapsed.has(node.id)}
              onToggle={toggle}
              onSelect={onSelect}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

interface RowProps {
  readonly node: SpanNode;
  readonly top: number;
  readonly pct: (us: number) => number;
  readonly overlay: TraceOverlay;
  readonly selected: boolean;
  readonly collapsed: boolean;
  readonly onToggle: (id: string) => void;
  readonly onSelect: (id: string) => void;
}

function Row({ node, top, pct, overlay, selected, collapsed, onToggle, onSelect }: RowProps) {
  const color = serviceColor(node.service);
  const startsService = !node.parent || node.parent.service !== node.service;
  const gap = overlay.gapBySpan.get(node.id);
  const critical = overlay.criticalBySpan.get(node.id);
  const left = pct(node.startUs);
  const width = Math.max(pct(node.endUs) - left, 0.15);
  // One label per row, beside the bar (or beside its queue gap), where there is room for it.
  const db = gap ? undefined : dbLabelOf(node);
  const label = gap
    ? `${formatDuration(node.span.duration)} · waited ${formatDuration(gap.waitUs)} in ${gap.topic}`
    : db
      ? `${formatDuration(node.span.duration)} · ${db}`
      : formatDuration(node.span.duration);
  const room = gap || db ? 30 : 12;
  const leftEdge = gap ? Math.min(pct(gap.fromUs), left) : left;
  // A wide queue gap holds the label; else it goes where the row has room.
  const gapWidth = gap ? pct(gap.toUs) - pct(gap.fromUs) : 0;
  const labelAt =
    gapWidth > 28
      ? 'in-gap'
      : left + width < 100 - room
        ? 'right'
        : leftEdge > room
          ? 'left'
          : 'inside';
  const classes = ['span-row'];
  if (selected) classes.push('selected');
  if (critical?.some((c) => !c.queue)) classes.push('critical');
  if (node.error) classes.push('error');
  return (
    <div
      class={classes.join(' ')}
      style={{ top: `${top}px`, height: `${ROW_HEIGHT}px` }}
      data-span-id={node.id}
      data-service={node.service}
      onClick={() => onSelect(node.id)}
    >
      <div class="label-col" style={{ width: `${LABEL_WIDTH}px` }}>
        <span class="indent" style={{ width: `${Math.min(node.depth, 20) * INDENT_PX}px` }} />
        {node.children.length > 0 ? (
          <button
            class="toggle"
            aria-label={collapsed ? 'expand' : 'collapse'}
            onClick={(e) => {
              e.stopPropagation();
              onToggle(node.id);
            }}
          >
            {collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span class="toggle" />
        )}
        <i class="service-stripe" style={{ background: color }} />
        {startsService && <span class="service-name">{node.service}</span>}
        <span class="op-name">{node.span.operationName}</span>
        {node.error && (
          <span class="error-mark" title="error">
            !
          </span>
        )}
        {collapsed && <span class="hidden-count">+{countBelow(node)}</span>}
      </div>
      <div class="timeline-col">
        {gap && (
          <div
            class={critical?.some((c) => c.queue) ? 'queue-gap critical' : 'queue-gap'}
            style={{
              left: `${pct(gap.fromUs)}%`,
              width: `${Math.max(pct(gap.toUs) - pct(gap.fromUs), 0.1)}%`,
            }}
            data-wait-us={gap.waitUs}
          ></div>
        )}
        <div class="bar" style={{ left: `${left}%`, width: `${width}%`, background: color }}>
          {critical
            ?.filter((c) => !c.queue)
            .map((c) => (
              <i
                key={c.startUs}
                class="critical-mark"
                style={{
                  left: `${((c.startUs - node.startUs) / Math.max(1, node.endUs - node.startUs)) * 100}%`,
                  width: `${((c.endUs - c.startUs) / Math.max(1, node.endUs - node.startUs)) * 100}%`,
                }}
              />
            ))}
        </div>
        <span
          class={`bar-label ${labelAt}${gap ? ' with-gap' : ''}${db ? ' db' : ''}`}
          title={db ? dbCallOf(node.span)?.statement : undefined}
          style={
            labelAt === 'right'
              ? { left: `calc(${left + width}% + 4px)` }
              : labelAt === 'left'
                ? { right: `calc(${100 - leftEdge}% + 4px)` }
                : labelAt === 'in-gap'
                  ? { left: `calc(${pct(gap!.fromUs)}% + 8px)` }
                  : { right: `calc(${100 - left - width}% + 6px)` }
          }
        >
          {label}
        </span>
      </div>
    </div>
  );
}

function countBelow(node: SpanNode): number {
  let n = 0;
  const stack = [...node.children];
  while (stack.length > 0) {
    const c = stack.pop()!;
    n++;
    stack.push(...c.children);
  }
  return n;
}
