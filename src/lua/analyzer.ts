import type * as ast from 'luaparse';

/**
 * One walk over a parsed chunk, following Lua's scoping, that records the facts the rules judge:
 * globals read and written, `redis.call`s with what their arguments are made of, members of
 * global tables, `redis.register_function` calls, KEYS indexes, loops, and which local functions
 * call which. Nothing is judged here: whether a global exists depends on where the code runs
 * (an EVAL script, a function at run time, a library's top level at load time), decided later.
 */

export type FunctionNode = ast.FunctionDeclaration | ast.Chunk;

/** What a key argument is made of, as far as the script's text shows. */
export type KeyOrigin = 'key' | 'literal' | 'argv' | 'unknown';

/** What an expression is: a key origin, or one of the tables and functions the rules follow. */
type Value = KeyOrigin | 'keys-table' | 'argv-table' | 'redis' | 'redis-call';

interface Binding {
  value: Value;
  /** The function a local holds, when it is declared as one (`local function f`, `local f = function`). */
  fn?: ast.FunctionDeclaration;
}

interface Scope {
  parent: Scope | undefined;
  names: Map<string, Binding>;
}

export interface RedisCallFact {
  node: ast.Node;
  fn: FunctionNode;
  /** The command name when it is a literal. */
  command: string | undefined;
  /** Every argument after `redis.call` itself (the command name first), as expressions. */
  args: ast.Expression[];
  /** What each argument is made of. */
  origins: KeyOrigin[];
  /** Each argument's text when it is a string or number literal. */
  literals: (string | undefined)[];
  /** The last argument is a call or `...`: more arguments may follow. */
  open: boolean;
  inLoop: boolean;
}

export interface GlobalUse {
  name: string;
  node: ast.Node;
  fn: FunctionNode;
  write: boolean;
}

export interface MemberUse {
  table: string;
  member: string;
  node: ast.Node;
  fn: FunctionNode;
  called: boolean;
  write: boolean;
}

export interface RegistrationFact {
  node: ast.Node;
  fn: FunctionNode;
  name: string | undefined;
  /** `flags = { ... }` as literals, or `dynamic` when not a table of string literals. */
  flags: { value: string; node: ast.Node }[] | 'dynamic';
  callback: ast.FunctionDeclaration | undefined;
  /** What is wrong with the call's shape, already worded. */
  problems: { node: ast.Node; message: string }[];
}

export interface LoopFact {
  node: ast.Node;
  fn: FunctionNode;
  /** `while true`, `repeat ... until false`, or a condition that is itself a redis call. */
  unbounded: boolean;
  /** Redis calls in the condition or the body (this function only). */
  redisCalls: number;
}

export interface Facts {
  chunk: ast.Chunk;
  calls: RedisCallFact[];
  globals: GlobalUse[];
  members: MemberUse[];
  registrations: RegistrationFact[];
  keyIndexes: { index: number; node: ast.Node; fn: FunctionNode; fromParameter: boolean }[];
  loops: LoopFact[];
  /** Local functions each function calls directly, by declaration. */
  localCalls: Map<FunctionNode, Set<ast.FunctionDeclaration>>;
  /** Every function of the chunk, with the function it is written in. */
  parents: Map<ast.FunctionDeclaration, FunctionNode>;
}

/** Names the rules follow through globals: KEYS, ARGV, redis. */
const GLOBAL_VALUES: Record<string, Value> = { KEYS: 'keys-table', ARGV: 'argv-table', redis: 'redis' };

export function analyze(chunk: ast.Chunk, registerCalls: readonly ast.Node[], library: boolean): Facts {
  return new Analyzer(chunk, registerCalls, library).facts;
}

class Analyzer {
  readonly facts: Facts;
  #scope: Scope = { parent: undefined, names: new Map() };
  #fn: FunctionNode;
  #loopDepth = 0;
  #redisCallCount = 0;
  /** Functions passed to register_function (inline or by local name): their parameters are KEYS and ARGV. */
  readonly #callbackNodes = new Set<ast.Node>();
  readonly #callbackNames = new Set<string>();
  readonly #library: boolean;

  constructor(chunk: ast.Chunk, registerCalls: readonly ast.Node[], library: boolean) {
    this.#library = library;
    this.#fn = chunk;
    this.facts = {
      chunk,
      calls: [],
      globals: [],
      members: [],
      registrations: [],
      keyIndexes: [],
      loops: [],
      localCalls: new Map(),
      parents: new Map(),
    };
    if (library) this.#findCallbacks(registerCalls);
    this.#block(chunk.body);
  }

  /** The functions the register_function calls name: their parameters are KEYS and ARGV. */
  #findCallbacks(registerCalls: readonly ast.Node[]): void {
    for (const call of registerCalls) {
      if (
        (call.type !== 'CallExpression' && call.type !== 'TableCallExpression') ||
        !isRegisterFunction(call.base)
      )
        continue;
      for (const arg of callArguments(call)) {
        if (arg.type === 'TableConstructorExpression') {
          for (const field of arg.fields)
            if (field.type === 'TableKeyString' && field.key.name === 'callback')
              this.#noteCallback(field.value);
        } else this.#noteCallback(arg);
      }
    }
  }

  #noteCallback(expression: ast.Expression): void {
    if (expression.type === 'FunctionDeclaration') this.#callbackNodes.add(expression);
    else if (expression.type === 'Identifier') this.#callbackNames.add(expression.name);
  }

  // --- scopes -----------------------------------------------------------------------------------

  #push(): void {
    this.#scope = { parent: this.#scope, names: new Map() };
  }

  #pop(): void {
    this.#scope = this.#scope.parent!;
  }

  #declare(name: string, binding: Binding): void {
    this.#scope.names.set(name, binding);
  }

  #resolve(name: string): Binding | undefined {
    for (let scope: Scope | undefined = this.#scope; scope !== undefined; scope = scope.parent) {
      const binding = scope.names.get(name);
      if (binding !== undefined) return binding;
    }
    return undefined;
  }

  // --- statements -------------------------------------------------------------------------------

  #block(body: ast.Statement[]): void {
    for (const statement of body) this.#statement(statement);
  }

  #scoped(body: ast.Statement[]): void {
    this.#push();
    this.#block(body);
    this.#pop();
  }

  #statement(node: ast.Statement): void {
    switch (node.type) {
      case 'LocalStatement': {
        const values = this.#expressionList(node.init, node.variables.length);
        node.variables.forEach((variable, i) => {
          const init = node.init[i];
          this.#declare(variable.name, {
            value: values[i],
            fn: init?.type === 'FunctionDeclaration' ? init : undefined,
          });
        });
        return;
      }
      case 'AssignmentStatement': {
        const values = this.#expressionList(node.init, node.variables.length);
        for (const [i, target] of node.variables.entries()) this.#assign(target, values[i]);
        return;
      }
      case 'CallStatement':
        this.#expression(node.expression);
        return;
      case 'FunctionDeclaration':
        this.#functionStatement(node);
        return;
      case 'ReturnStatement':
        for (const argument of node.arguments) this.#expression(argument);
        return;
      case 'IfStatement':
        for (const clause of node.clauses) {
          if (clause.type !== 'ElseClause') this.#expression(clause.condition);
          this.#scoped(clause.body);
        }
        return;
      case 'WhileStatement':
        this.#loop(node, node.condition, node.body, false);
        return;
      case 'RepeatStatement':
        this.#loop(node, node.condition, node.body, true);
        return;
      case 'DoStatement':
        this.#scoped(node.body);
        return;
      case 'ForNumericStatement':
        this.#expression(node.start);
        this.#expression(node.end);
        if (node.step !== null) this.#expression(node.step);
        this.#push();
        this.#declare(node.variable.name, { value: 'unknown' });
        this.#inLoop(() => this.#block(node.body));
        this.#pop();
        return;
      case 'ForGenericStatement':
        for (const iterator of node.iterators) this.#expression(iterator);
        this.#push();
        for (const variable of node.variables) this.#declare(variable.name, { value: 'unknown' });
        this.#inLoop(() => this.#block(node.body));
        this.#pop();
        return;
      default:
        // break, goto, labels: nothing to follow.
        return;
    }
  }

  #inLoop(body: () => void): void {
    this.#loopDepth++;
    body();
    this.#loopDepth--;
  }

  #loop(node: ast.Node, condition: ast.Expression, body: ast.Statement[], conditionAfter: boolean): void {
    const before = this.#redisCallCount;
    let conditionCalls = 0;
    this.#push();
    if (!conditionAfter) {
      this.#expression(condition);
      conditionCalls = this.#redisCallCount - before;
    }
    this.#inLoop(() => this.#block(body));
    if (conditionAfter) {
      // `repeat ... until cond` sees the body's locals.
      const beforeCondition = this.#redisCallCount;
      this.#expression(condition);
      conditionCalls = this.#redisCallCount - beforeCondition;
    }
    this.#pop();
    const constant = conditionAfter ? isFalsy(condition) : isTruthy(condition);
    this.facts.loops.push({
      node,
      fn: this.#fn,
      unbounded: constant || conditionCalls > 0,
      redisCalls: this.#redisCallCount - before,
    });
  }

  #functionStatement(node: ast.FunctionDeclaration): void {
    const id = node.identifier;
    if (node.isLocal && id?.type === 'Identifier') {
      // `local function f` is in scope inside its own body (recursion).
      this.#declare(id.name, { value: 'unknown', fn: node });
    } else if (id?.type === 'Identifier') {
      const binding = this.#resolve(id.name);
      if (binding === undefined) this.#global(id.name, id, true);
      else binding.fn = node;
    } else if (id?.type === 'MemberExpression') {
      this.#assign(id, 'unknown');
    }
    this.#function(node, id?.type === 'Identifier' ? id.name : undefined);
  }

  #function(node: ast.FunctionDeclaration, name: string | undefined): void {
    this.facts.parents.set(node, this.#fn);
    const outer = { fn: this.#fn, loopDepth: this.#loopDepth };
    this.#fn = node;
    this.#loopDepth = 0;
    this.#push();
    const isCallback = this.#callbackNodes.has(node) || (name !== undefined && this.#callbackNames.has(name));
    if (node.identifier?.type === 'MemberExpression' && node.identifier.indexer === ':') {
      this.#declare('self', { value: 'unknown' });
    }
    node.parameters.forEach((parameter, i) => {
      if (parameter.type !== 'Identifier') return;
      const value: Value =
        isCallback && i === 0 ? 'keys-table' : isCallback && i === 1 ? 'argv-table' : 'unknown';
      this.#declare(parameter.name, { value });
    });
    this.#block(node.body);
    this.#pop();
    this.#fn = outer.fn;
    this.#loopDepth = outer.loopDepth;
  }

  #assign(target: ast.Expression, value: Value): void {
    if (target.type === 'Identifier') {
      const binding = this.#resolve(target.name);
      if (binding === undefined) this.#global(target.name, target, true);
      else binding.value = merge(binding.value, value);
      return;
    }
    if (target.type === 'MemberExpression' || target.type === 'IndexExpression') {
      const base = target.base;
      if (target.type === 'IndexExpression') this.#expression(target.index);
      if (base.type === 'Identifier' && this.#resolve(base.name) === undefined) {
        // KEYS and ARGV are plain tables; every other global table is read-only on the server.
        if (base.name !== 'KEYS' && base.name !== 'ARGV') {
          const member = target.type === 'MemberExpression' ? target.identifier.name : '[...]';
          this.facts.members.push({
            table: base.name,
            member,
            node: target,
            fn: this.#fn,
            called: false,
            write: true,
          });
        }
        this.#global(base.name, base, false);
        return;
      }
      this.#expression(base);
      return;
    }
    this.#expression(target);
  }

  #global(name: string, node: ast.Node, write: boolean): void {
    this.facts.globals.push({ name, node, fn: this.#fn, write });
  }

  // --- expressions ------------------------------------------------------------------------------

  /** Values of an expression list assigned to `count` targets (Lua's adjustment rules). */
  #expressionList(expressions: ast.Expression[], count: number): Value[] {
    const values = expressions.map((expression) => this.#expression(expression));
    while (values.length < count) values.push('unknown');
    return values;
  }

  #expression(node: ast.Expression): Value {
    switch (node.type) {
      case 'StringLiteral':
      case 'NumericLiteral':
        return 'literal';
      case 'Identifier': {
        const binding = this.#resolve(node.name);
        if (binding !== undefined) return binding.value;
        this.#global(node.name, node, false);
        return (!this.#library && GLOBAL_VALUES[node.name]) || (node.name === 'redis' ? 'redis' : 'unknown');
      }
      case 'IndexExpression': {
        const base = this.#expression(node.base);
        this.#expression(node.index);
        if (base === 'keys-table') {
          if (node.index.type === 'NumericLiteral') {
            const fromParameter = !(node.base.type === 'Identifier' && node.base.name === 'KEYS');
            this.facts.keyIndexes.push({ index: node.index.value, node, fn: this.#fn, fromParameter });
          }
          return 'key';
        }
        return base === 'argv-table' ? 'argv' : 'unknown';
      }
      case 'MemberExpression': {
        const base = this.#memberBase(node, false);
        if (base === 'redis' && (node.identifier.name === 'call' || node.identifier.name === 'pcall'))
          return 'redis-call';
        return 'unknown';
      }
      case 'BinaryExpression':
      case 'LogicalExpression': {
        const left = this.#expression(node.left);
        const right = this.#expression(node.right);
        return node.operator === '..' || node.operator === 'or' ? combine(left, right) : 'unknown';
      }
      case 'UnaryExpression':
        this.#expression(node.argument);
        return 'unknown';
      case 'FunctionDeclaration':
        this.#function(node, undefined);
        return 'unknown';
      case 'TableConstructorExpression':
        for (const field of node.fields) {
          if (field.type === 'TableKey') this.#expression(field.key);
          this.#expression(field.value);
        }
        return 'unknown';
      case 'CallExpression':
      case 'TableCallExpression':
      case 'StringCallExpression':
        this.#call(node);
        return 'unknown';
      default:
        return 'unknown';
    }
  }

  /** The base of `a.b`; records uses of members of global tables (`redis.x`, `string.x`). */
  #memberBase(node: ast.MemberExpression, called: boolean): Value {
    const base = node.base;
    if (base.type === 'Identifier' && this.#resolve(base.name) === undefined) {
      this.#global(base.name, base, false);
      this.facts.members.push({
        table: base.name,
        member: node.identifier.name,
        node,
        fn: this.#fn,
        called,
        write: false,
      });
      return base.name === 'redis' ? 'redis' : (!this.#library && GLOBAL_VALUES[base.name]) || 'unknown';
    }
    return this.#expression(base);
  }

  #call(node: ast.CallExpression | ast.TableCallExpression | ast.StringCallExpression): void {
    const callee = node.base;
    let calleeValue: Value;
    if (callee.type === 'MemberExpression') {
      const base = this.#memberBase(callee, true);
      calleeValue =
        base === 'redis' && (callee.identifier.name === 'call' || callee.identifier.name === 'pcall')
          ? 'redis-call'
          : 'unknown';
    } else {
      calleeValue = this.#expression(callee);
      if (callee.type === 'Identifier') {
        const target = this.#resolve(callee.name)?.fn;
        if (target !== undefined) {
          let called = this.facts.localCalls.get(this.#fn);
          if (called === undefined) this.facts.localCalls.set(this.#fn, (called = new Set()));
          called.add(target);
        }
      }
    }
    const args = callArguments(node);
    if (isRegisterFunction(callee)) {
      this.#registration(node, args);
      return;
    }
    const origins = args.map((arg) => this.#expression(arg));
    if (calleeValue !== 'redis-call') return;
    this.#redisCallCount++;
    const last = args[args.length - 1];
    const first = args[0];
    this.facts.calls.push({
      node,
      fn: this.#fn,
      command: first?.type === 'StringLiteral' ? stringValue(first) : undefined,
      args,
      origins: origins.map((origin) => (isKeyOrigin(origin) ? origin : 'unknown')),
      literals: args.map(literalText),
      open: last !== undefined && isMultiValue(last),
      inLoop: this.#loopDepth > 0,
    });
  }

  #registration(node: ast.Node, args: ast.Expression[]): void {
    const fact: RegistrationFact = {
      node,
      fn: this.#fn,
      name: undefined,
      flags: [],
      callback: undefined,
      problems: [],
    };
    const callbackOf = (expression: ast.Expression | undefined) => {
      if (expression?.type === 'FunctionDeclaration') return expression;
      if (expression?.type === 'Identifier') return this.#resolve(expression.name)?.fn;
      return undefined;
    };
    const nameOf = (expression: ast.Expression | undefined) => {
      // A computed name is legal; only a literal one can be checked.
      if (expression?.type === 'StringLiteral') fact.name = stringValue(expression);
      else if (expression === undefined) fact.problems.push({ node, message: 'missing the function name' });
    };
    const table = args.length === 1 && args[0].type === 'TableConstructorExpression' ? args[0] : undefined;
    if (table === undefined) {
      // redis.register_function('name', callback)
      nameOf(args[0]);
      fact.callback = callbackOf(args[1]);
      if (args.length !== 2)
        fact.problems.push({
          node,
          message: `expected (name, callback) or one table, got ${args.length} arguments`,
        });
    } else {
      let sawName = false;
      let sawCallback = false;
      for (const field of table.fields) {
        if (field.type !== 'TableKeyString') {
          fact.problems.push({
            node: field,
            message: 'expected only named fields (function_name = ..., callback = ...)',
          });
          continue;
        }
        const key = field.key.name;
        if (key === 'function_name') {
          sawName = true;
          nameOf(field.value);
        } else if (key === 'callback') {
          sawCallback = true;
          fact.callback = callbackOf(field.value);
        } else if (key === 'flags') {
          fact.flags = flagsOf(field.value);
        } else if (key !== 'description') {
          fact.problems.push({
            node: field,
            message: `unknown argument '${key}' (the server accepts function_name, callback, flags, description)`,
          });
        }
      }
      if (!sawName) fact.problems.push({ node, message: 'missing function_name' });
      if (!sawCallback) fact.problems.push({ node, message: 'missing callback' });
    }
    this.facts.registrations.push(fact);
    for (const arg of args) this.#expression(arg);
  }
}

function callArguments(node: ast.Node): ast.Expression[] {
  if (node.type === 'CallExpression') return node.arguments;
  if (node.type === 'TableCallExpression') return [node.arguments];
  if (node.type === 'StringCallExpression') return [node.argument];
  return [];
}

function isRegisterFunction(callee: ast.Expression): boolean {
  return (
    callee.type === 'MemberExpression' &&
    callee.identifier.name === 'register_function' &&
    callee.base.type === 'Identifier' &&
    callee.base.name === 'redis'
  );
}

function flagsOf(value: ast.Expression): RegistrationFact['flags'] {
  if (value.type !== 'TableConstructorExpression') return 'dynamic';
  const flags: { value: string; node: ast.Node }[] = [];
  for (const field of value.fields) {
    if (field.type !== 'TableValue' || field.value.type !== 'StringLiteral') return 'dynamic';
    flags.push({ value: stringValue(field.value), node: field.value });
  }
  return flags;
}

/**
 * A string literal's value. The parser runs without decoding strings (that costs a regex per
 * token), so the few literals the rules read are decoded here from their source text.
 */
export function stringValue(node: ast.StringLiteral): string {
  if (node.value !== null && node.value !== undefined) return node.value;
  const raw = node.raw;
  if (raw.startsWith('[')) {
    const open = raw.indexOf('[', 1) + 1;
    const body = raw.slice(open, raw.length - open);
    // A newline right after the opening bracket is not part of a long string.
    return body.startsWith('\r\n') ? body.slice(2) : body.startsWith('\n') ? body.slice(1) : body;
  }
  const body = raw.slice(1, -1);
  if (!body.includes('\\')) return body;
  return body.replace(/\\(\d{1,3}|.)/gs, (_, sequence: string) => {
    if (/^\d/.test(sequence)) return String.fromCharCode(Number(sequence));
    return ESCAPES[sequence] ?? sequence;
  });
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\n': '\n',
};

function literalText(node: ast.Expression): string | undefined {
  if (node.type === 'StringLiteral') return stringValue(node);
  if (node.type === 'NumericLiteral') return String(node.value);
  return undefined;
}

function isMultiValue(node: ast.Expression): boolean {
  return (
    node.type === 'CallExpression' ||
    node.type === 'TableCallExpression' ||
    node.type === 'StringCallExpression' ||
    node.type === 'VarargLiteral'
  );
}

function isKeyOrigin(value: Value): value is KeyOrigin {
  return value === 'key' || value === 'literal' || value === 'argv' || value === 'unknown';
}

/** What `a .. b` (or `a or b`) is made of: a key if either part is one. */
function combine(left: Value, right: Value): Value {
  const a = isKeyOrigin(left) ? left : 'unknown';
  const b = isKeyOrigin(right) ? right : 'unknown';
  if (a === 'key' || b === 'key') return 'key';
  if (a === 'unknown' || b === 'unknown') return 'unknown';
  if (a === 'argv' || b === 'argv') return 'argv';
  return 'literal';
}

/** A local assigned again: it keeps one value only if every assignment agrees. */
function merge(previous: Value, next: Value): Value {
  if (previous === next) return previous;
  if (isKeyOrigin(previous) && isKeyOrigin(next)) return combine(previous, next);
  return 'unknown';
}

function isTruthy(node: ast.Expression): boolean {
  return (
    (node.type === 'BooleanLiteral' && node.value) ||
    node.type === 'NumericLiteral' ||
    node.type === 'StringLiteral'
  );
}

function isFalsy(node: ast.Expression): boolean {
  return (node.type === 'BooleanLiteral' && !node.value) || node.type === 'NilLiteral';
}
