import { useEffect, useState } from 'preact/hooks';
import { fetchDroppedSpans } from '../api.js';
import type { DroppedSpansReport } from '../../model/index.js';

const POLL_MS = 5000;

/**
 * A notice across every view while the services have given up exporting any spans: the
 * traces those spans belonged to are incomplete, and a learner should know before reading
 * them. Nothing shows while none were lost.
 */
export function DroppedSpansNotice() {
  const [report, setReport] = useState<DroppedSpansReport>();
  useEffect(() => {
    const ask = () => fetchDroppedSpans().then(setReport, () => undefined);
    void ask();
    const timer = setInterval(() => void ask(), POLL_MS);
    return () => clearInterval(timer);
  }, []);
  if (!report || report.total === 0) return null;
  return (
    <div class="dropped-spans-notice" role="status">
      <strong>{report.total.toLocaleString('en-US')} spans lost:</strong> the services gave up
      sending them to the collector after retrying, so traces that include them are incomplete.{' '}
      {report.services.map((s, i) => (
        <span key={s.service}>
          {i > 0 ? '; ' : ''}
          {s.service} {s.dropped.toLocaleString('en-US')} (
          {s.reasons.map((r) => r.reason).join(', ')})
        </span>
      ))}
    </div>
  );
}
