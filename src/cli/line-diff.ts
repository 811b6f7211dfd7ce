/**
 * A line diff in the unified style (`-` deployed, `+` file), from the longest common
 * subsequence of lines; libraries are small enough for the quadratic table. Unchanged runs
 * are cut to `context` lines around each change.
 */
export function lineDiff(
  before: string,
  after: string,
  beforeName: string,
  afterName: string,
  context = 2,
): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // common[i][j]: length of the LCS of a[i..] and b[j..].
  const common = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i][j] = a[i] === b[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const lines: { mark: ' ' | '-' | '+'; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ mark: ' ', text: a[i++] });
      j++;
    } else if (i < a.length && (j === b.length || common[i + 1][j] >= common[i][j + 1])) {
      lines.push({ mark: '-', text: a[i++] });
    } else {
      lines.push({ mark: '+', text: b[j++] });
    }
  }
  const keep = lines.map((_line, index) =>
    lines.slice(Math.max(0, index - context), index + context + 1).some((near) => near.mark !== ' '),
  );
  const out = [`--- ${beforeName}`, `+++ ${afterName}`];
  let skipped = false;
  for (const [index, line] of lines.entries()) {
    if (keep[index]) {
      out.push(`${line.mark}${line.text}`);
      skipped = false;
    } else if (!skipped) {
      out.push('...');
      skipped = true;
    }
  }
  return out.join('\n');
}
