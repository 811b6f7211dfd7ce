import type * as ast from 'luaparse';
import luaparse from 'luaparse';

/**
 * Parsing as the server's Lua 5.1 does. luaparse reports a syntax error on the same line as
 * Lua's own parser (both stop at the token that cannot continue the chunk); the test suite
 * checks that against `SCRIPT LOAD` and `FUNCTION LOAD` on a real server.
 */

export type Parsed =
  | { chunk: ast.Chunk; registerCalls: ast.Node[]; offsetOf: (node: ast.Node) => number; error?: undefined }
  | { chunk?: undefined; error: { line: number; column: number; message: string } };

/** Lua reads bytes: text with non-ASCII characters is parsed as its UTF-8 bytes, one char each. */
export interface Source {
  /** What the parser reads. */
  text: string;
  /** Maps a parser (line, 0-based byte column) back to a 1-based column of the caller's string. */
  column(line: number, byteColumn: number): number;
}

export function sourceOf(lua: string): Source {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range itself
  if (!/[^\x00-\x7f]/.test(lua)) return { text: lua, column: (_line, byteColumn) => byteColumn + 1 };
  const text = Buffer.from(lua, 'utf8').toString('latin1');
  let lines: string[] | undefined;
  return {
    text,
    column(line, byteColumn) {
      lines ??= text.split('\n');
      const bytes = (lines[line - 1] ?? '').slice(0, byteColumn);
      return Buffer.from(bytes, 'latin1').toString('utf8').length + 1;
    },
  };
}

/**
 * Parses without recording positions, which would double the parser's work; most code lints
 * clean and never needs one. When a diagnostic does, `offsetOf` parses once more with ranges:
 * the parser creates nodes in the same order both times, so a node's rank in the first parse
 * finds its twin, and its offset, in the second.
 */
const OPTIONS = {
  luaVersion: '5.1',
  // Comments and string values are left undecoded: the rules that need them read the source
  // (include comments) or decode the few literals they use (analyzer.stringValue).
  comments: false,
  encodingMode: 'none',
} as const;

export function parse(source: Source): Parsed {
  // Calls of redis.register_function are noted as the parser builds them: the analyzer needs
  // them before its walk (their callbacks' parameters are KEYS and ARGV).
  const registerCalls: ast.Node[] = [];
  const nodes: ast.Node[] = [];
  const onCreateNode = (node: ast.Node) => {
    nodes.push(node);
    if (
      (node.type === 'CallExpression' || node.type === 'TableCallExpression') &&
      node.base.type === 'MemberExpression' &&
      node.base.identifier.name === 'register_function'
    )
      registerCalls.push(node);
  };
  try {
    const chunk = luaparse.parse(source.text, { ...OPTIONS, onCreateNode });
    let offsets: number[] | undefined;
    let ranks: Map<ast.Node, number> | undefined;
    const offsetOf = (node: ast.Node): number => {
      if (offsets === undefined || ranks === undefined) {
        const found: number[] = [];
        luaparse.parse(source.text, {
          ...OPTIONS,
          ranges: true,
          onCreateNode: (twin) => found.push((twin as { range?: [number, number] }).range?.[0] ?? 0),
        });
        offsets = found;
        ranks = new Map(nodes.map((created, rank) => [created, rank]));
      }
      return offsets[ranks.get(node) ?? -1] ?? 0;
    };
    return { chunk, registerCalls, offsetOf };
  } catch (error) {
    const { line, column, message } = error as { line?: number; column?: number; message: string };
    if (typeof line !== 'number') throw error;
    return {
      error: {
        line,
        column: source.column(line, column ?? 0),
        // luaparse prefixes "[line:column] "; the position is reported on its own.
        message: message.replace(/^\[\d+:\d+\] /, ''),
      },
    };
  }
}
