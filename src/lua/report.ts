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
      const start = at.loc?.start ?? { line: 1, column: 0 };
      line = start.line;
      column = this.#source.column(start.line, start.column);
    }
    const key = `${rule}:${line}:${column}:${message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.diagnostics.push({ rule, severity: override ?? severity, line, column, message });
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
