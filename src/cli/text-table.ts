/**
 * A plain terminal table: columns padded to their widest cell, numbers right-aligned. Small enough
 * that a table library would add more than it saves; cells are ASCII or simple Unicode.
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ('left' | 'right')[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (align[i] === 'right' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
