// TS/JS file -> access patterns: supabase-js chains and SQL strings, with their function and loop.
// One walk over the oxc AST in source order. Builder chains kept in variables are followed through
// `if` branches and loops; what a variable or a computed name hides is skipped, never guessed.
import { parseSync } from "oxc-parser";
import type { InputProblem, Location, RelationName, Suppression } from "../core/types.js";
import { lineIndex, parseSql } from "../sql/parser.js";
import { patternsFromStatement } from "./sql-patterns.js";
import { emptyConstants, type SharedConstants } from "./shared-constants.js";
import { patternsFromChain, type ChainStep, type EmbeddedPattern, type StaticValues } from "./supabase.js";

type Node = Record<string, any>;

export interface CodeFileResult {
  patterns: EmbeddedPattern[];
  problems: InputProblem[];
}

/** One way a builder variable may hold a query: its table and the methods applied so far. */
interface Variant {
  table: string;
  /** The exact name PostgREST looks up (`.from()` as written, in `.schema()`'s schema). */
  relation: RelationName;
  steps: ChainStep[];
  /** Offset of the `.from(` call, where the pattern is reported. */
  fromOffset: number;
}

type Bindings = Map<string, Variant[]>;

interface Env {
  builders: Bindings;
  functionName?: string;
  loops: Array<{ kind: string; line: number }>;
}

/** Beyond this many branch combinations a chain keeps its unconditional steps and marks the rest conditional. */
const MAX_VARIANTS = 4;

/** Array methods whose callback runs once per element: a query inside runs once per element too. */
const LOOP_METHODS = new Set(["forEach", "map", "flatMap", "filter", "reduce", "some", "every", "find", "findIndex"]);

/** Methods that run a SQL string: pg, mysql-style pools, knex, Prisma, postgres.js, pg-promise. */
const SQL_METHODS = new Set([
  "query",
  "raw",
  "$queryRaw",
  "$queryRawUnsafe",
  "$executeRaw",
  "$executeRawUnsafe",
  "unsafe",
  "execute",
  "any",
  "one",
  "oneOrNone",
  "many",
  "manyOrNone",
  "none",
]);
const SQL_TAGS = new Set(["sql", "$queryRaw", "$executeRaw"]);
const LOOKS_LIKE_QUERY = /^\s*\(?\s*(select|with|update|delete|insert)\b/i;

/** Receivers that hold a database client: `supabase`, `client`, `db`, `admin`, `this.supabase`, `supabaseAdmin`. */
const CLIENT_NAME = /supabase|client|^db$|^admin$|admin$|^sb$/i;

/**
 * Quick test before parsing: a file with none of these cannot hold a query, so it is not parsed
 * (and a syntax error in it, which cannot hide a query, is not reported).
 */
const MAY_QUERY = /\.from\s*\(|\.(query|raw|unsafe|execute|any|one|oneOrNone|many|manyOrNone|none)\s*[(`]|\bsql\s*`|\$(query|execute)Raw/;

const SKIP_KEYS = new Set(["type", "start", "end", "range", "loc", "typeAnnotation", "returnType", "typeParameters", "typeArguments", "decorators"]);

/** `shared` holds constants exported by the repository's files, for names this file imports. */
export function extractFromCodeFile(path: string, text: string, shared: SharedConstants = emptyConstants()): CodeFileResult {
  if (!MAY_QUERY.test(text)) return { patterns: [], problems: [] };
  const at = lineIndex(text);
  let parsed: ReturnType<typeof parseSync>;
  try {
    // JSX is common in .js files; TypeScript files keep `<T>x` assertions, so only .tsx gets JSX.
    const lang = /\.tsx$/.test(path) ? "tsx" : /\.[cm]?ts$/.test(path) ? "ts" : "jsx";
    parsed = parseSync(path, text, { sourceType: "module", lang });
  } catch (error) {
    return { patterns: [], problems: [{ message: `${path}:1: cannot parse: ${(error as Error).message}`, location: { file: path, line: 1, column: 1 } }] };
  }
  const fatal = parsed.errors.find((e) => e.severity === "Error");
  if (fatal) {
    const offset = fatal.labels[0]?.start ?? 0;
    const { line, column } = at(offset);
    return {
      patterns: [],
      problems: [{ message: `${path}:${line}:${column}: syntax error, file skipped: ${fatal.message}`, location: { file: path, line, column } }],
    };
  }
  const walker = new CodeWalker(path, parsed.program as unknown as Node, parsed.comments, at, shared);
  walker.run();
  return { patterns: walker.patterns, problems: [] };
}

class CodeWalker {
  readonly patterns: EmbeddedPattern[] = [];
  private readonly strings = new Map<string, string | null>();
  private readonly objects = new Map<string, Map<string, string> | null>();
  /** Local name -> the exported name it imports (`import { TABLES as T }`). */
  private readonly imports = new Map<string, string>();
  private readonly clients = new Set<string>();
  private readonly suppressionsByLine = new Map<number, Suppression[]>();
  private readonly values: StaticValues;
  private statementStart = 0;

  constructor(
    private readonly path: string,
    private readonly program: Node,
    comments: Array<{ value: string; start: number }>,
    private readonly at: (offset: number) => { line: number; column: number },
    private readonly shared: SharedConstants,
  ) {
    for (const comment of comments) {
      const m = /index-audit-ignore\s+([\w-]+)\s*:?\s*(.*)/.exec(comment.value);
      if (!m) continue;
      const { line, column } = at(comment.start);
      const list = this.suppressionsByLine.get(line) ?? [];
      list.push({ rule: m[1], reason: m[2].trim(), location: { file: path, line, column } });
      this.suppressionsByLine.set(line, list);
    }
    this.values = { string: (node) => this.staticString(node) };
  }

  run(): void {
    this.visitStatements(this.program.body ?? [], { builders: new Map(), loops: [] });
  }

  private staticsCollected = false;

  /** Constants are read on first need: most files name their tables with literals. */
  private ensureStatics(): void {
    if (this.staticsCollected) return;
    this.staticsCollected = true;
    this.collectStatics(this.program);
  }

  // ---------------------------------------------------------------- static values

  /** String constants, enums and `as const` objects anywhere in the file; a name bound twice is dropped. */
  private collectStatics(node: unknown): void {
    if (Array.isArray(node)) {
      for (const item of node) this.collectStatics(item);
      return;
    }
    if (!node || typeof node !== "object") return;
    const n = node as Node;
    if (n.type === "ImportDeclaration") {
      for (const spec of n.specifiers ?? []) {
        if (spec.type === "ImportSpecifier" && spec.local?.name) this.imports.set(spec.local.name, spec.imported?.name ?? spec.imported?.value ?? spec.local.name);
      }
      return;
    }
    if (n.type === "VariableDeclarator" && n.id?.type === "Identifier" && n.init) {
      const name = n.id.name as string;
      const init = peel(n.init);
      const str = literalString(init);
      if (str !== undefined) this.bindString(name, str);
      else if (init.type === "ObjectExpression") this.bindObject(name, init);
      else if (isClientFactory(init)) this.clients.add(name);
      else if (this.strings.has(name)) this.strings.set(name, null);
    }
    if (n.type === "TSEnumDeclaration" && n.id?.name) {
      const members = new Map<string, string>();
      for (const member of n.body?.members ?? n.members ?? []) {
        const key = member.id?.name ?? member.id?.value;
        const value = literalString(member.initializer);
        if (key !== undefined && value !== undefined) members.set(key, value);
      }
      this.objects.set(n.id.name, this.objects.has(n.id.name) ? null : members);
    }
    for (const key in n) {
      const value = n[key];
      if (value && typeof value === "object" && !SKIP_KEYS.has(key)) this.collectStatics(value);
    }
  }

  private bindString(name: string, value: string): void {
    const previous = this.strings.get(name);
    this.strings.set(name, previous === undefined || previous === value ? value : null);
  }

  private bindObject(name: string, init: Node): void {
    const members = new Map<string, string>();
    for (const prop of init.properties ?? []) {
      if (prop.type !== "Property" || prop.computed) continue;
      const key = prop.key?.name ?? prop.key?.value;
      const value = literalString(peel(prop.value));
      if (typeof key === "string" && value !== undefined) members.set(key, value);
    }
    this.objects.set(name, this.objects.has(name) ? null : members);
  }

  private staticString(node: Node | undefined): string | undefined {
    if (!node) return undefined;
    const n = peel(node);
    const literal = literalString(n);
    if (literal !== undefined) return literal;
    if (n.type === "Identifier") {
      this.ensureStatics();
      if (this.strings.has(n.name)) return this.strings.get(n.name) ?? undefined;
      const imported = this.imports.get(n.name);
      return imported !== undefined ? this.shared.strings.get(imported) ?? undefined : undefined;
    }
    if (n.type === "MemberExpression" && n.object?.type === "Identifier") {
      this.ensureStatics();
      const imported = this.imports.get(n.object.name);
      const members = this.objects.has(n.object.name) ? this.objects.get(n.object.name) : imported !== undefined ? this.shared.objects.get(imported) : undefined;
      const key = n.computed ? literalString(n.property) : n.property?.name;
      return key !== undefined ? members?.get(key) : undefined;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- statements

  private visitStatements(list: Node[], env: Env): void {
    for (const statement of list) {
      this.statementStart = statement.start;
      this.visitStatement(statement, env);
    }
  }

  private visitStatement(node: Node, env: Env): void {
    switch (node.type) {
      case "BlockStatement":
      case "StaticBlock":
        return this.visitStatements(node.body, env);
      case "VariableDeclaration":
        for (const declarator of node.declarations) this.visitDeclarator(declarator, env);
        return;
      case "FunctionDeclaration":
        return this.visitFunction(node, env, node.id?.name, null);
      case "IfStatement": {
        this.visitExpr(node.test, env);
        const yes = branchEnv(env);
        this.visitNested(node.consequent, yes);
        const no = branchEnv(env);
        if (node.alternate) this.visitNested(node.alternate, no);
        env.builders = mergeBranches(env.builders, [yes.builders, no.builders], node.alternate != null);
        return;
      }
      case "SwitchStatement": {
        this.visitExpr(node.discriminant, env);
        const branches = node.cases.map((c: Node) => {
          const branch = branchEnv(env);
          if (c.test) this.visitExpr(c.test, branch);
          this.visitStatements(c.consequent, branch);
          return branch.builders;
        });
        env.builders = mergeBranches(env.builders, branches, false);
        return;
      }
      case "ForStatement": {
        if (node.init?.type === "VariableDeclaration") this.visitStatement(node.init, env);
        else if (node.init) this.visitExpr(node.init, env);
        const body = loopEnv(env, "for", this.at(node.start).line);
        if (node.test) this.visitExpr(node.test, body);
        if (node.update) this.visitExpr(node.update, body);
        this.visitNested(node.body, body);
        env.builders = mergeBranches(env.builders, [body.builders], false);
        return;
      }
      case "ForOfStatement":
      case "ForInStatement": {
        this.visitExpr(node.right, env);
        const kind = node.type === "ForOfStatement" ? (node.await ? "for await...of" : "for...of") : "for...in";
        const body = loopEnv(env, kind, this.at(node.start).line);
        this.visitNested(node.body, body);
        env.builders = mergeBranches(env.builders, [body.builders], false);
        return;
      }
      case "WhileStatement":
      case "DoWhileStatement": {
        const body = loopEnv(env, node.type === "WhileStatement" ? "while" : "do...while", this.at(node.start).line);
        this.visitExpr(node.test, body);
        this.visitNested(node.body, body);
        env.builders = mergeBranches(env.builders, [body.builders], false);
        return;
      }
      case "ExpressionStatement":
        return this.visitExpr(node.expression, env);
      case "ClassDeclaration":
        return this.visitClass(node, env);
      case "ExportNamedDeclaration":
      case "ExportDefaultDeclaration":
        if (node.declaration) {
          const d = node.declaration;
          if (d.type?.includes("Function") && !d.id) return this.visitFunction(d, env, "default", null);
          return d.type?.endsWith("Statement") || d.type?.endsWith("Declaration") ? this.visitStatement(d, env) : this.visitExpr(d, env);
        }
        return;
      default:
        return this.visitChildren(node, env);
    }
  }

  /** A statement nested in an if or loop: blocks keep the statement start for suppressions. */
  private visitNested(node: Node, env: Env): void {
    if (node.type === "BlockStatement") return this.visitStatements(node.body, env);
    this.statementStart = node.start;
    this.visitStatement(node, env);
  }

  private visitDeclarator(declarator: Node, env: Env): void {
    const init = declarator.init;
    if (!init) return;
    const name = declarator.id?.type === "Identifier" ? (declarator.id.name as string) : undefined;
    const inner = peel(init);
    if (isFunction(inner)) return this.visitFunction(inner, env, name, null);
    if (name && !runsNow(init)) {
      const variants = this.builderOf(init, env);
      if (variants) {
        env.builders.set(name, variants);
        this.visitChainArgs(init, env);
        return;
      }
      env.builders.delete(name);
    }
    this.visitExpr(init, env);
  }

  private visitClass(node: Node, env: Env): void {
    for (const member of node.body?.body ?? []) {
      const key = member.key?.name ?? member.key?.value;
      if ((member.type === "MethodDefinition" || member.type === "PropertyDefinition") && member.value && isFunction(member.value)) {
        this.visitFunction(member.value, env, typeof key === "string" ? key : undefined, null);
      } else if (member.value) {
        this.visitExpr(member.value, env);
      } else if (member.type === "StaticBlock") {
        this.visitStatements(member.body, env);
      }
    }
  }

  /** A function body: its own name, its own loops (or the loop of the array method it is a callback of). */
  private visitFunction(node: Node, env: Env, name: string | undefined, loop: { kind: string; line: number } | null, inheritLoops = false): void {
    const loops = inheritLoops ? [...env.loops] : [];
    if (loop) loops.push(loop);
    const inner: Env = { builders: new Map(env.builders), functionName: node.id?.name ?? name ?? env.functionName, loops };
    for (const param of node.params ?? []) {
      if (param.type === "Identifier") inner.builders.delete(param.name);
    }
    const saved = this.statementStart;
    if (node.body?.type === "BlockStatement") this.visitStatements(node.body.body, inner);
    else if (node.body) {
      this.statementStart = node.body.start;
      this.visitExpr(node.body, inner);
    }
    this.statementStart = saved;
  }

  // ---------------------------------------------------------------- expressions

  private visitExpr(node: Node | null | undefined, env: Env): void {
    if (!node || typeof node !== "object") return;
    switch (node.type) {
      case "CallExpression":
      case "MemberExpression": {
        const variants = this.builderOf(node, env);
        if (variants) {
          this.emitBuilder(variants, env);
          this.visitChainArgs(node, env);
          return;
        }
        if (node.type === "CallExpression") {
          if (this.sqlCall(node, env)) {
            for (const arg of node.arguments) this.visitExpr(arg, env);
            return;
          }
          const callee = peel(node.callee);
          const method = callee.type === "MemberExpression" && !callee.computed ? callee.property?.name : undefined;
          if (method && LOOP_METHODS.has(method)) {
            this.visitExpr(callee.object, env);
            const line = this.at(callee.property.start).line;
            for (const arg of node.arguments) {
              const fn = peel(arg);
              if (isFunction(fn)) this.visitFunction(fn, env, undefined, { kind: `.${method}()`, line }, true);
              else this.visitExpr(arg, env);
            }
            return;
          }
          this.visitExpr(node.callee, env);
          for (const arg of node.arguments) {
            const fn = peel(arg);
            // A callback passed to a call runs there and then (retry helpers, transactions): same loops.
            if (isFunction(fn)) this.visitFunction(fn, env, undefined, null, true);
            else this.visitExpr(arg, env);
          }
          return;
        }
        this.visitExpr(node.object, env);
        if (node.computed) this.visitExpr(node.property, env);
        return;
      }
      case "TaggedTemplateExpression": {
        this.sqlTemplate(node, env);
        for (const expression of node.quasi.expressions) this.visitExpr(expression, env);
        return;
      }
      case "Identifier": {
        const variants = env.builders.get(node.name);
        if (variants) this.emitBuilder(variants, env);
        return;
      }
      case "AssignmentExpression": {
        if (node.left?.type === "Identifier" && node.operator === "=" && !runsNow(node.right)) {
          const variants = this.builderOf(node.right, env);
          if (variants) {
            env.builders.set(node.left.name, variants);
            this.visitChainArgs(node.right, env);
            return;
          }
          env.builders.delete(node.left.name);
          const fn = peel(node.right);
          if (isFunction(fn)) return this.visitFunction(fn, env, node.left.name, null);
        }
        if (node.left?.type === "MemberExpression" && isFunction(peel(node.right))) {
          const key = node.left.computed ? undefined : node.left.property?.name;
          return this.visitFunction(peel(node.right), env, key, null);
        }
        this.visitExpr(node.right, env);
        return;
      }
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        return this.visitFunction(node, env, undefined, null);
      case "ClassExpression":
        return this.visitClass(node, env);
      case "ObjectExpression":
        for (const prop of node.properties) {
          if (prop.type === "SpreadElement") this.visitExpr(prop.argument, env);
          else if (isFunction(peel(prop.value))) {
            const key = prop.computed ? undefined : prop.key?.name ?? prop.key?.value;
            this.visitFunction(peel(prop.value), env, typeof key === "string" ? key : undefined, null);
          } else {
            if (prop.computed) this.visitExpr(prop.key, env);
            this.visitExpr(prop.value, env);
          }
        }
        return;
      default:
        return this.visitChildren(node, env);
    }
  }

  private visitChildren(node: Node, env: Env): void {
    for (const [key, value] of Object.entries(node)) {
      if (SKIP_KEYS.has(key) || !value || typeof value !== "object") continue;
      if ((key === "key" || key === "property") && !node.computed) continue;
      if (key === "id" || key === "params" || key === "label") continue;
      const children = Array.isArray(value) ? value : [value];
      for (const child of children) {
        if (!child || typeof child !== "object" || typeof child.type !== "string") continue;
        if (child.type.endsWith("Statement") || child.type.endsWith("Declaration")) this.visitStatement(child, env);
        else this.visitExpr(child, env);
      }
    }
  }

  /** Arguments inside a builder chain may hold callbacks or nested queries of their own. */
  private visitChainArgs(node: Node, env: Env): void {
    for (const call of flattenChain(node).calls) {
      for (const arg of call.args) this.visitExpr(arg, env);
    }
  }

  // ---------------------------------------------------------------- supabase-js

  private isClient(node: Node): boolean {
    const n = peel(node);
    if (n.type === "AwaitExpression") return this.isClient(n.argument);
    if (n.type === "Identifier") {
      if (CLIENT_NAME.test(n.name)) return true;
      this.ensureStatics();
      return this.clients.has(n.name);
    }
    if (n.type === "MemberExpression" && !n.computed) return CLIENT_NAME.test(n.property?.name ?? "");
    return isClientFactory(n);
  }

  /** The query a builder expression stands for, or undefined when it is not a supabase-js builder. */
  private builderOf(node: Node, env: Env): Variant[] | undefined {
    const { root, calls } = flattenChain(node);
    for (let i = 0; i < calls.length; i++) {
      if (calls[i].method !== "from") continue;
      let receiver = i === 0 ? root : calls[i - 1].node;
      let schema: string | undefined;
      if (i > 0 && calls[i - 1].method === "schema") {
        schema = this.staticString(calls[i - 1].args[0]);
        receiver = i === 1 ? root : calls[i - 2].node;
        if (!schema) return undefined;
      }
      if (!this.isClient(receiver)) continue;
      const table = this.staticString(calls[i].args[0]);
      if (!table) return undefined;
      const steps = calls.slice(i + 1).map((c) => ({ method: c.method, args: c.args, conditional: false }));
      const relation = schema ? { schema, name: table } : { name: table };
      return [{ table: schema ? `${schema}.${table}` : table, relation, steps, fromOffset: calls[i].propertyStart }];
    }
    if (root.type === "Identifier" && env.builders.has(root.name)) {
      const steps = calls.map((c) => ({ method: c.method, args: c.args, conditional: false }));
      return env.builders.get(root.name)!.map((v) => ({ ...v, steps: [...v.steps, ...steps] }));
    }
    return undefined;
  }

  private emitBuilder(variants: Variant[], env: Env): void {
    // Branches that end up asking the same thing are one query.
    const seen = new Set<string>();
    for (const variant of variants) {
      const location = this.location(variant.fromOffset);
      const base = this.base(location, env);
      for (const pattern of patternsFromChain({ table: variant.table, relation: variant.relation, steps: variant.steps, values: this.values, base: { ...base, source: "supabase-js" } })) {
        if (variants.length > 1) {
          const key = JSON.stringify(pattern);
          if (seen.has(key)) continue;
          seen.add(key);
        }
        this.patterns.push(pattern);
      }
    }
  }

  private base(location: Location, env: Env) {
    const loop = env.loops[env.loops.length - 1];
    const base: { inLoop: boolean; loop?: { kind: string; line: number }; functionName?: string; location: Location; suppressions: Suppression[] } = {
      inLoop: env.loops.length > 0,
      location,
      suppressions: this.suppressionsFor(location.line),
    };
    if (loop) base.loop = loop;
    if (env.functionName) base.functionName = env.functionName;
    return base;
  }

  private location(offset: number): Location {
    const { line, column } = this.at(offset);
    return { file: this.path, line, column };
  }

  /** Suppressions from the line before the enclosing statement through the query's own line. */
  private suppressionsFor(line: number): Suppression[] {
    const first = Math.min(this.at(this.statementStart).line, line) - 1;
    const out: Suppression[] = [];
    for (let l = first; l <= line; l++) out.push(...(this.suppressionsByLine.get(l) ?? []));
    return out;
  }

  // ---------------------------------------------------------------- SQL strings

  private sqlCall(node: Node, env: Env): boolean {
    const callee = peel(node.callee);
    if (callee.type !== "MemberExpression" || callee.computed) return false;
    if (!SQL_METHODS.has(callee.property?.name)) return false;
    const first = node.arguments[0] ? peel(node.arguments[0]) : undefined;
    if (!first) return false;
    const placeholder = callee.property.name === "raw" ? "knex" : "pg";
    const text = this.sqlText(first, placeholder);
    if (!text || !LOOKS_LIKE_QUERY.test(text.sql)) return false;
    this.emitSql(text.sql, text.offset, env);
    return true;
  }

  private sqlTemplate(node: Node, env: Env): void {
    const tag = peel(node.tag);
    const name = tag.type === "Identifier" ? tag.name : tag.type === "MemberExpression" && !tag.computed ? tag.property?.name : undefined;
    if (!name || !SQL_TAGS.has(name)) return;
    const sql = templateSql(node.quasi);
    if (sql !== undefined && LOOKS_LIKE_QUERY.test(sql)) this.emitSql(sql, node.quasi.start, env);
  }

  private sqlText(node: Node, placeholders: "pg" | "knex"): { sql: string; offset: number } | undefined {
    if (node.type === "TemplateLiteral") {
      const sql = templateSql(node);
      return sql === undefined ? undefined : { sql, offset: node.start };
    }
    if (node.type === "ObjectExpression") {
      const text = node.properties.find((p: Node) => (p.key?.name ?? p.key?.value) === "text" || (p.key?.name ?? p.key?.value) === "sql");
      return text ? this.sqlText(peel(text.value), placeholders) : undefined;
    }
    const str = this.staticString(node);
    if (str === undefined) return undefined;
    // knex.raw binds `?` (and `??` for identifiers, which cannot be read statically).
    if (placeholders === "knex") {
      if (str.includes("??")) return undefined;
      let n = 0;
      return { sql: str.replace(/(?<![?\w])\?(?![?|&\w])/g, () => `$${++n}`), offset: node.start };
    }
    return { sql: str, offset: node.start };
  }

  private emitSql(sql: string, offset: number, env: Env): void {
    const outcome = parseSql(sql);
    if (!outcome.ok) return;
    const location = this.location(offset);
    const base = this.base(location, env);
    for (const statement of outcome.statements) {
      const patterns = patternsFromStatement(statement.ast, {
        source: "sql-in-code",
        location,
        functionName: base.functionName,
        inLoop: base.inLoop,
        loop: base.loop,
        suppressions: base.suppressions,
      });
      this.patterns.push(...patterns);
    }
  }
}

// ------------------------------------------------------------------ helpers

function peel(node: Node): Node {
  let n = node;
  while (n && (n.type === "TSAsExpression" || n.type === "TSSatisfiesExpression" || n.type === "TSNonNullExpression" || n.type === "ParenthesizedExpression" || n.type === "TSTypeAssertion" || n.type === "ChainExpression")) {
    n = n.expression;
  }
  return n;
}

function isFunction(node: Node | undefined): boolean {
  return node?.type === "ArrowFunctionExpression" || node?.type === "FunctionExpression";
}

function literalString(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === "Literal" && typeof node.value === "string") return node.value;
  if (node.type === "TemplateLiteral" && node.expressions.length === 0) return node.quasis[0]?.value?.cooked ?? undefined;
  if (node.type === "TSAsExpression" || node.type === "TSSatisfiesExpression") return literalString(node.expression);
  return undefined;
}

/** `createClient(...)`, `createServerClient(...)`, `getSupabase()`, `new SupabaseClient(...)`. */
function isClientFactory(node: Node): boolean {
  const n = node.type === "AwaitExpression" ? peel(node.argument) : node;
  if (n.type !== "CallExpression" && n.type !== "NewExpression") return false;
  const callee = peel(n.callee);
  const name = callee.type === "Identifier" ? callee.name : callee.type === "MemberExpression" && !callee.computed ? callee.property?.name : "";
  return /client|supabase/i.test(name ?? "");
}

/** A builder chain ending in `.then()` / `.catch()` / `.finally()` has been sent: a promise, not a builder. */
function runsNow(node: Node): boolean {
  return flattenChain(node).calls.some((c) => c.method === "then" || c.method === "catch" || c.method === "finally");
}

/** `a.b(1).c(2)` -> root `a`, calls [b(1), c(2)]. */
function flattenChain(node: Node): { root: Node; calls: Array<{ method: string; args: Node[]; node: Node; propertyStart: number }> } {
  const calls: Array<{ method: string; args: Node[]; node: Node; propertyStart: number }> = [];
  let current = peel(node);
  while (current?.type === "CallExpression") {
    const callee = peel(current.callee);
    if (callee.type !== "MemberExpression") break;
    const method = callee.computed ? literalString(callee.property) : callee.property?.name;
    if (!method) break;
    calls.unshift({ method, args: current.arguments, node: current, propertyStart: callee.property.start });
    current = peel(callee.object);
  }
  return { root: current, calls };
}

/** A template literal as SQL: each interpolation becomes the next `$n` after any written in the text. */
function templateSql(quasi: Node): string | undefined {
  const parts: string[] = quasi.quasis.map((q: Node) => q.value?.cooked ?? q.value?.raw ?? "");
  let next = 1;
  for (const part of parts) for (const m of part.matchAll(/\$(\d+)/g)) next = Math.max(next, Number(m[1]) + 1);
  let sql = parts[0];
  for (let i = 1; i < parts.length; i++) sql += `$${next++}` + parts[i];
  return sql;
}

function branchEnv(env: Env): Env {
  return { ...env, builders: new Map(env.builders) };
}

function loopEnv(env: Env, kind: string, line: number): Env {
  return { ...env, builders: new Map(env.builders), loops: [...env.loops, { kind, line }] };
}

/**
 * Joins the builder variables after branches. When every branch of an if/else changes a chain,
 * each branch is its own query (one variant per branch). When some path leaves it unchanged, the
 * steps added on the other paths are kept but marked conditional: the query runs with or without them.
 */
function mergeBranches(before: Bindings, branches: Bindings[], exhaustive: boolean): Bindings {
  const merged: Bindings = new Map(before);
  for (const [name, original] of before) {
    const after = branches.map((b) => b.get(name));
    const changed = after.filter((v) => v !== original);
    if (changed.length === 0) continue;
    if (after.some((v) => v === undefined)) {
      merged.delete(name);
      continue;
    }
    const known = new Set(original.flatMap((v) => v.steps));
    const markNew = (v: Variant): Variant => ({ ...v, steps: v.steps.map((s) => (known.has(s) ? s : { ...s, conditional: true })) });
    if (exhaustive && changed.length === after.length) {
      const union = after.flatMap((v) => v!);
      if (union.length <= MAX_VARIANTS) {
        merged.set(name, union);
        continue;
      }
    }
    // One variant per original, carrying every step any branch added, marked conditional.
    const added = changed.flatMap((variants) => variants!.flatMap((v) => markNew(v).steps.filter((s) => !known.has(s))));
    const tables = new Set(changed.flatMap((variants) => variants!.map((v) => v.table)));
    if ([...tables].some((t) => !original.some((o) => o.table === t))) {
      merged.set(name, [...original, ...changed.flatMap((variants) => variants!.map(markNew))].slice(0, MAX_VARIANTS));
      continue;
    }
    merged.set(name, original.map((v) => ({ ...v, steps: [...v.steps, ...added] })));
  }
  return merged;
}
