/** A plain-text table: a header row, columns padded to fit, numeric columns right-aligned. */
export function formatTable(
  head: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  numeric: ReadonlySet<number> = new Set(),
): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

/** The column indexes from `from` to `to` inclusive, for `numeric`. */
export function columns(from: number, to: number): Set<number> {
  const s = new Set<number>();
  for (let i = from; i <= to; i++) s.add(i);
  return s;
}
