// Markdown table pieces shared by the report's sections.

export function escapeCell(text) {
  return String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** Why a cell has no figure: `n/a` or the error of the rounds that failed. */
export function missingFigure(cell) {
  if (cell === undefined) return 'not run';
  if (cell.na !== undefined) return 'n/a';
  return escapeCell(`error: ${cell.error ?? 'no result'}`);
}
