import type * as ast from 'luaparse';
import { type Diagnostic, RULES, type RuleName, type Severity } from './diagnostic.js';
import type { Source } from './parse.js';

/** Collects diagnostics, applying per-rule severities and turning nodes into positions. */
export class Report {
  readonly diagnostics: Diagnostic[] = [];
  readonly #source: Source;
  readonly #overrides: Partial<Record<RuleName, Severity | 'off'>>;
  /** One diagnostic per rule and position: code checked in two contexts says it once. */
  readonly #seen = new Set<string>();
  #lineStarts: number[] | undefined;

  /** Where a node starts in the parsed text; set once the code has parsed. */
  offsetOf: (node: ast.Node) => number = () => 0;

  constructor(source: Source, overrides: Partial<Record<RuleName, Severity | 'off'>> = {}) {
    this.#source = source;
    this.#overrides = overrides;
  }

  /** Reports at a node, or at a 1-based line (column 1). `severity` overrides the rule's default. */
  add(rule: RuleName, at: ast.Node | number, message: string, severity: Severity = RULES[rule]): void {
    const override = this.#overrides[rule];
    if (override === 'off') return;
    let line: number;
    let column: number;
    if (typeof at === 'number') {
      line = at;
      column = 1;
    } else {
      ({ line, column } = this.position(at));
    }
    const key = `${rule}:${line}:${column}:${message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.diagnostics.push({ rule, severity: override ?? severity, line, column, message });
  }

  /** The 1-based line and column where `node` starts. */
  position(node: ast.Node): { line: number; column: number } {
    // Lines are found from offsets only when something is reported.
    const offset = this.offsetOf(node);
    const starts = (this.#lineStarts ??= lineStarts(this.#source.text));
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: this.#source.column(low + 1, offset - starts[low]) };
  }

  /** Adds a diagnostic whose position is already known (syntax errors). */
  addAt(rule: RuleName, line: number, column: number, message: string): void {
    const override = this.#overrides[rule];
    if (override === 'off') return;
    this.diagnostics.push({ rule, severity: override ?? RULES[rule], line, column, message });
  }

  sorted(): Diagnostic[] {
    return this.diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  }
}

/** Offsets where each line starts; Lua ends lines at \n, \r, \r\n or \n\r, as the server counts them. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13) continue;
    const next = text.charCodeAt(i + 1);
    if ((next === 10 || next === 13) && next !== c) i++;
    starts.push(i + 1);
  }
  return starts;
}
