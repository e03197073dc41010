import { readFileSync, writeFileSync } from 'node:fs';
import { analyzeTraces, compareReports } from '../analysis/index.js';
import type { AnalysisReport, AnalyzeOptions, ReportComparison } from '../analysis/index.js';
import {
  checkTrace,
  fetchStoredAnalysis,
  httpTraceSource,
  parseDuration,
} from '../collector/index.js';
import type { TraceQuery, TraceSource } from '../collector/index.js';
import { DEFAULT_QUERY_URL, opt } from '../config/index.js';
import type { OptionSpec, OptionValues } from '../config/index.js';
import type { JaegerTrace } from '../model/index.js';
import { formatComparison, formatReport } from './analyze-text.js';
import { renderHtmlReport } from './analyze-html.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';

const options: OptionSpec[] = [
  {
    name: 'url',
    type: 'string',
    env: 'TRACELAB_QUERY_URL',
    default: DEFAULT_QUERY_URL,
    description: "trace query API to read: the collector's, or a real Jaeger's (same API)",
  },
  {
    name: 'since',
    type: 'string',
    default: '5m',
    description: 'analyse the traces of this last stretch of time (e.g. 90s, 5m, 1h)',
  },
  {
    name: 'until',
    type: 'string',
    description: 'end the window this long ago instead of now (e.g. 10m)',
  },
  { name: 'trace', type: 'string', description: 'analyse this one trace (its id) instead' },
  {
    name: 'file',
    type: 'string',
    description: 'analyse traces from a file in Jaeger\'s JSON ({"data": [traces]}) instead',
  },
  { name: 'service', type: 'string', description: 'only this service (traces that touch it)' },
  {
    name: 'limit',
    type: 'number',
    default: 1000,
    integer: true,
    min: 1,
    description: 'most traces read per service from the query API',
  },
  { name: 'json', type: 'boolean', default: false, description: 'print the report as JSON' },
  {
    name: 'html',
    type: 'string',
    description: 'also write the report as a self-contained HTML page with charts to this file',
  },
  {
    name: 'compare',
    type: 'string',
    description: 'compare with a base: a saved --json result (file)',
  },
  {
    name: 'baseline-since',
    type: 'string',
    description: 'compare with an earlier window: it starts this long ago (e.g. 20m)',
  },
  {
    name: 'baseline-until',
    type: 'string',
    description: 'the earlier window ends this long ago (default: where this window starts)',
  },
];

function durationOption(values: OptionValues, name: string): number | undefined {
  const text = opt.maybeStr(values, name);
  if (text === undefined) return undefined;
  const us = parseDuration(text);
  if (us === undefined) {
    throw new CliError(`--${name}: expected a duration like 90s, 5m or 1h, got "${text}"`);
  }
  return us;
}

/** Traces to read: from `startUs` to `endUs`, of one service or all, at most `limit` each. */
interface Window {
  readonly startUs: number;
  readonly endUs: number;
  readonly service: string | undefined;
  readonly limit: number;
}

/** Every trace in the window that touches `service` (or any service), each once. */
async function readWindow(
  source: TraceSource,
  window: Window,
  note: (line: string) => void,
): Promise<JaegerTrace[]> {
  const { service, limit } = window;
  const services = service ? [service] : await source.services();
  const byId = new Map<string, JaegerTrace>();
  for (const s of services) {
    const query: TraceQuery = {
      service: s,
      operation: '',
      tags: {},
      startUs: window.startUs as TraceQuery['startUs'],
      endUs: window.endUs as TraceQuery['endUs'],
      limit,
    };
    const found = await source.findTraces(query);
    if (found.length >= limit) {
      note(`${s}: read the --limit of ${limit} traces; older ones in the window are left out`);
    }
    for (const t of found) if (!byId.has(t.traceID)) byId.set(t.traceID, t);
  }
  return [...byId.values()];
}

/**
 * The report on a window: analysed by the collector where the traces are stored when it can
 * (no Jaeger JSON built, sent and parsed: for 100,000 traces, seconds instead of minutes), else
 * read as Jaeger JSON (a real Jaeger) and analysed here. The same report either way.
 */
async function analyseWindow(
  url: string,
  window: Window,
  note: (line: string) => void,
): Promise<{ report: AnalysisReport; traces: number }> {
  const { service, limit } = window;
  const options: AnalyzeOptions = service ? { service } : {};
  const stored = await fetchStoredAnalysis(url, {
    ...(service ? { service } : {}),
    startUs: window.startUs as TraceQuery['startUs'],
    endUs: window.endUs as TraceQuery['endUs'],
    limit,
  });
  if (stored) {
    for (const s of stored.limited) {
      note(`${s}: read the --limit of ${limit} traces; older ones in the window are left out`);
    }
    return { report: checkReport(stored.report, url), traces: stored.traces };
  }
  const traces = await readWindow(httpTraceSource(url), window, note);
  return { report: analyzeTraces(traces, options), traces: traces.length };
}

/** A report in the shape `--compare` reads, or undefined. */
function asReport(value: unknown): AnalysisReport | undefined {
  const r = value as Partial<AnalysisReport> | null;
  const ok =
    typeof r === 'object' &&
    r !== null &&
    r.version === 1 &&
    Array.isArray(r.stages) &&
    Array.isArray(r.hops) &&
    Array.isArray(r.consumers) &&
    typeof r.traces?.endToEnd?.p50Us === 'number';
  return ok ? (r as AnalysisReport) : undefined;
}

function checkReport(value: unknown, url: string): AnalysisReport {
  const report = asReport(value);
  if (!report) throw new CliError(`${url} answered an analysis that is not a report`, 1);
  return report;
}

/** Traces from a file: Jaeger's envelope ({"data": [...]}), a list of traces, or one trace. */
function readTraceFile(path: string): JaegerTrace[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path} is not JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null && Array.isArray((body as { data?: unknown }).data)
      ? (body as { data: unknown[] }).data
      : [body];
  try {
    return list.map((t, i) => checkTrace(t, `${path}: trace ${i + 1}`));
  } catch (err) {
    throw new CliError(`${(err as Error).message} (expected Jaeger's trace JSON)`);
  }
}

/** A base saved with `analyze --json` (alone, or with --compare: its `report`). */
function readReportFile(path: string): AnalysisReport {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(
      `--compare ${path}: ${e.code ? `cannot read it (${e.code})` : `not JSON: ${e.message}`}`,
    );
  }
  const candidate =
    typeof body === 'object' && body !== null && 'report' in body ? body.report : body;
  const report = asReport(candidate);
  if (!report) {
    throw new CliError(
      `--compare ${path}: not a saved report (write one with \`tracelab analyze --json > ${path}\`)`,
    );
  }
  return report;
}

export const command = defineCommand({
  name: 'analyze',
  summary: 'read traces back into findings: bottleneck, queue waits, critical path, resources',
  usage: 'analyze [--since 5m | --trace ID | --file trace.json] [options]',
  options,
  async run({ values }) {
    const url = opt.str(values, 'url');
    const traceId = opt.maybeStr(values, 'trace');
    const file = opt.maybeStr(values, 'file');
    const service = opt.maybeStr(values, 'service');
    const limit = opt.num(values, 'limit');
    const json = opt.bool(values, 'json');
    const html = opt.maybeStr(values, 'html');
    const compareFile = opt.maybeStr(values, 'compare');
    if (traceId && file) throw new CliError('give --trace or --file, not both');
    const sinceUs = durationOption(values, 'since')!;
    const untilUs = durationOption(values, 'until') ?? 0;
    const baselineSinceUs = durationOption(values, 'baseline-since');
    const baselineUntilUs = durationOption(values, 'baseline-until');
    if (sinceUs <= untilUs) throw new CliError('--since must reach further back than --until');
    if (compareFile && baselineSinceUs !== undefined) {
      throw new CliError(
        'compare with a saved report (--compare) or a window (--baseline-since), not both',
      );
    }
    if (baselineUntilUs !== undefined && baselineSinceUs === undefined) {
      throw new CliError('--baseline-until needs --baseline-since');
    }

    const tty = process.stderr.isTTY;
    const note = (line: string) => process.stderr.write(`tracelab analyze: ${line}\n`);
    const progress = (line: string) => {
      if (tty) note(line);
    };
    const source = httpTraceSource(url);
    const nowUs = Date.now() * 1000;
    const analyzeOptions: AnalyzeOptions = service ? { service } : {};

    const started = Date.now();
    const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
    let report: AnalysisReport;
    let what: string;
    if (file || traceId) {
      let traces: JaegerTrace[];
      if (file) {
        traces = readTraceFile(file);
        what = file;
      } else {
        const t = await source.getTrace(traceId!);
        if (!t) throw new CliError(`trace ${traceId} is not in ${url}`, 1);
        traces = [t];
        what = `trace ${traceId}`;
      }
      progress(`read ${traces.length} traces in ${seconds()} s; analysing …`);
      report = analyzeTraces(traces, analyzeOptions);
    } else {
      progress(`analysing the traces of the last ${opt.str(values, 'since')} at ${url} …`);
      const window = await analyseWindow(
        url,
        { startUs: nowUs - sinceUs, endUs: nowUs - untilUs, service, limit },
        note,
      );
      report = window.report;
      progress(`analysed ${window.traces} traces in ${seconds()} s`);
      what = `the last ${opt.str(values, 'since')}`;
    }

    let comparison: ReportComparison | undefined;
    let baseName = '';
    if (compareFile) {
      comparison = compareReports(readReportFile(compareFile), report);
      baseName = compareFile;
    } else if (baselineSinceUs !== undefined) {
      const endAgo = baselineUntilUs ?? sinceUs;
      if (baselineSinceUs <= endAgo) {
        throw new CliError(
          '--baseline-since must reach further back than where the base window ends',
        );
      }
      const base = await analyseWindow(
        url,
        { startUs: nowUs - baselineSinceUs, endUs: nowUs - endAgo, service, limit },
        note,
      );
      comparison = compareReports(base.report, report);
      baseName = `the window from ${opt.str(values, 'baseline-since')} to ${opt.maybeStr(values, 'baseline-until') ?? opt.str(values, 'since')} ago (${base.traces} traces)`;
    }

    writeReport(report, { html, json, what, comparison, baseName, progress });
    return 0;
  },
});

/** The report as asked: an HTML file with --html, then JSON or text on stdout. */
function writeReport(
  report: AnalysisReport,
  out: {
    html: string | undefined;
    json: boolean;
    what: string;
    comparison: ReportComparison | undefined;
    baseName: string;
    progress: (line: string) => void;
  },
): void {
  const { html, json, what, comparison, baseName, progress } = out;
  if (html) {
    try {
      writeFileSync(
        html,
        renderHtmlReport(report, { title: `tracelab analyze: ${what}`, comparison, baseName }),
      );
    } catch (err) {
      throw new CliError(
        `--html ${html}: cannot write it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    progress(`wrote ${html}`);
  }
  if (json) {
    const out = comparison ? { report, comparison } : report;
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stdout.write(formatReport(report));
    if (comparison) process.stdout.write(formatComparison(comparison, baseName));
  }
}
