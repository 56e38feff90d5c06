// The code walker: one pass over a TS/JS file's oxc AST in source order. It keeps what every client
// shares (scopes, variables holding query builders, `if` branches, loops, function names,
// suppression comments, constants) and asks each client recognizer (../clients/) whether a call or a
// tagged template sends a query. What a variable or a computed name hides is skipped, never guessed.
import type { AccessPattern, Location, LoopUse, Suppression } from "../../core/types.js";
import type { SharedConstants } from "../shared-constants.js";
import type { BuilderVariant, CodeContext, PatternBase, QueryCall, QueryClient } from "../clients/client.js";
import { calleeMethod, flattenChain, isFunction, peel, runsNow, SKIP_KEYS, type Node } from "./ast.js";
import { AGGREGATES, bindingNames, createdParentFields, changedIn, configSource, keepsExisting, upsertUpdate, readBranch, dottedName, fixedCount, hasCall, hasNestedWrites, onClient, rootMethod, selectsAggregate, SINGLE_ROW, indexedCollection, isRangeIterable, isRangeTest, keyedColumns, pagesThrough, shiftedWrites, readsLength, namesIn, type LoopFrame, type RowSource } from "./loops.js";
import { FixedLists } from "./fixed.js";
import { mergeBranches, type Bindings } from "./branches.js";
import { StaticValues } from "./statics.js";
import { definedBy, exits, mayOmit, OptionalNames } from "./optional.js";
import { catchAllSegments, derivedList, sentinelKey, type DerivedList } from "./derived.js";


interface Env {
  builders: Bindings;
  functionName?: string;
  /** How the enclosing function caches its result across requests (`"use cache"`), when it does. */
  cachedBy?: string;
  /** Enclosing loops of this function (and of the loop callbacks it is part of), innermost last. */
  loops: LoopFrame[];
  /** Names whose value changes from one iteration of an enclosing loop to the next. */
  varying: ReadonlySet<string>;
  /** Inside an `if`, `switch` or `?:` that tests something that changes per iteration. */
  itemBranch: boolean;
  /** Names holding the rows a query returned (`const { data: sessions } = await ...`). */
  rows: Map<string, RowSource>;
  /** Local names bound to a list whose length the code fixes -> how to name it; "" for a local that is not one. */
  fixed: Map<string, string>;
  /** Lists filled inside a loop with the results of per-item calls that send no query (PDFs signed, files uploaded). */
  externalLists: Set<string>;
  /** Local `const` names bound to an object literal (`const range = { gte: a, lte: b }`), in scope here. */
  objects: Map<string, Node>;
  /** Parameters of the enclosing function that may hold `undefined` (optional.ts), while not rebound. */
  optional: Set<string>;
  /** Local `const` names bound to `x ?? "literal"` (or `||`): the string they hold when `x` is not given. */
  defaults: Map<string, string>;
  /** Local names bound to a configured value (`const ids = env.DEFAULT_IDS ?? []`) -> how to name it. */
  config: Map<string, string>;
  /** Local names bound to a list derived from one value (regex matches, one row's included relation): loops.ts DerivedList. */
  derived: Map<string, DerivedList>;
  /** Inside an `if` that tests the result of a query sent earlier in the same iteration. */
  readBranch?: { line: number; missing: boolean };
}

/** Array methods that keep one row per row (or fewer): their result is still the query's rows. */
const ROW_PRESERVING = new Set(["map", "filter", "sort", "toSorted"]);

/** Array methods whose callback runs once per element: a query inside runs once per element too. */
const LOOP_METHODS = new Set(["forEach", "map", "flatMap", "filter", "reduce", "some", "every", "find", "findIndex"]);

export class CodeWalker {
  readonly patterns: AccessPattern[] = [];
  private readonly suppressionsByLine = new Map<number, Suppression[]>();
  private readonly statics: StaticValues;
  private readonly fixedLists: FixedLists;
  private readonly optionalNames: OptionalNames;
  /** `.map()` calls whose callback returns a query's result: those queries (read as rows only through `Promise.all`). */
  private readonly mapReturns = new Map<Node, RowSource>();
  private statementStart = 0;
  /** The rows each query expression returns, by the expression that sent it. */
  private readonly sent = new WeakMap<Node, RowSource>();

  constructor(
    private readonly path: string,
    private readonly program: Node,
    comments: Array<{ value: string; start: number }>,
    private readonly at: (offset: number) => { line: number; column: number },
    shared: SharedConstants,
    private readonly clients: readonly QueryClient[],
  ) {
    for (const comment of comments) {
      const m = /index-audit-ignore\s+([\w-]+)\s*:?\s*(.*)/.exec(comment.value);
      if (!m) continue;
      const { line, column } = at(comment.start);
      const list = this.suppressionsByLine.get(line) ?? [];
      list.push({ rule: m[1], reason: m[2].trim(), location: { file: path, line, column } });
      this.suppressionsByLine.set(line, list);
    }
    this.fixedLists = new FixedLists(program);
    this.optionalNames = new OptionalNames(program);
    this.statics = new StaticValues(program, shared, (init) => clients.some((c) => c.isClientFactory?.(init) ?? false));
  }

  run(): void {
    // A `"use cache"` at the top of a file caches every function the file exports.
    const cachedBy = hasDirective(this.program.body, "use cache") ? '"use cache"' : undefined;
    this.visitStatements(this.program.body ?? [], {
      builders: new Map(),
      loops: [],
      varying: new Set(),
      itemBranch: false,
      rows: new Map(),
      fixed: new Map(),
      externalLists: new Set(),
      objects: new Map(),
      optional: new Set(),
      defaults: new Map(),
      config: new Map(),
      derived: new Map(),
      ...(cachedBy ? { cachedBy } : {}),
    });
  }

  // ---------------------------------------------------------------- what clients see

  /** One context per scope: asked for at every call the walker meets, and its readers look at `env` when called. */
  private readonly contexts = new WeakMap<Env, CodeContext>();

  private context(env: Env): CodeContext {
    let known = this.contexts.get(env);
    if (!known) this.contexts.set(env, (known = this.newContext(env)));
    return known;
  }

  private newContext(env: Env): CodeContext {
    return {
      staticString: (node) => this.statics.string(node),
      boundToClient: (name) => this.statics.isClient(name),
      localObject: (name) => env.objects.get(name),
      mayBeUndefined: (name) => env.optional.has(name),
      defaultString: (name) => env.defaults.get(name),
      location: (offset) => this.location(offset),
      base: (location) => this.base(location, env),
    };
  }

  private base(location: Location, env: Env): PatternBase {
    const loop = env.loops[env.loops.length - 1];
    const base: PatternBase = { inLoop: env.loops.length > 0, location, suppressions: this.suppressionsFor(location.line) };
    if (loop) base.loop = { kind: loop.kind, line: loop.line };
    if (env.functionName) base.functionName = env.functionName;
    if (env.cachedBy) base.cachedBy = env.cachedBy;
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
        for (const declarator of node.declarations) {
          // A const object literal is resolvable where a query names it (`where: { viewedAt: range }`).
          for (const bound of bindingNames(declarator.id)) {
            env.objects.delete(bound);
            env.optional.delete(bound);
            env.defaults.delete(bound);
          }
          const fallback = declarator.init ? peel(declarator.init) : undefined;
          if (node.kind === "const" && declarator.id?.type === "Identifier" && fallback?.type === "LogicalExpression" && (fallback.operator === "??" || fallback.operator === "||")) {
            const text = this.statics.string(fallback.right);
            if (text !== undefined) env.defaults.set(declarator.id.name, text);
          }
          if (node.kind === "const" && declarator.id?.type === "Identifier" && declarator.init && peel(declarator.init).type === "ObjectExpression") env.objects.set(declarator.id.name, peel(declarator.init));
          this.visitDeclarator(declarator, env);
        }
        return;
      case "FunctionDeclaration":
        return this.visitFunction(node, env, node.id?.name, null);
      case "IfStatement": {
        this.visitExpr(node.test, env);
        const read = readBranch(node.test, env.rows, env.loops.length);
        const yes = branchEnv(env, node.test, read);
        yes.optional = without(env.optional, definedBy(node.test, true));
        this.visitNested(node.consequent, yes);
        const no = branchEnv(env, node.test, read && { ...read, missing: !read.missing });
        no.optional = without(env.optional, definedBy(node.test, false));
        if (node.alternate) this.visitNested(node.alternate, no);
        // `if (!kind) return;`: after it, kind holds a value.
        if (exits(node.consequent) && !node.alternate) env.optional = no.optional;
        else if (node.alternate && exits(node.alternate)) env.optional = yes.optional;
        env.builders = mergeBranches(env.builders, [yes.builders, no.builders], node.alternate != null);
        return;
      }
      case "SwitchStatement": {
        this.visitExpr(node.discriminant, env);
        const branches = node.cases.map((c: Node) => {
          const branch = branchEnv(env, node.discriminant);
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
        const frame: LoopFrame = { kind: "for", line: this.at(node.start).line, range: isRangeTest(node.test), chained: !node.test, fixed: fixedCount(node.test) };
        const body = loopEnv(env, frame, changedIn([node.init, node.test, node.update, node.body]));
        const indexed = indexedCollection(node.test);
        if (indexed) this.iterate(this.rowsOf(indexed, env), body);
        const derived = indexed ? this.derivedOf(indexed, env) : undefined;
        if (derived) frame.derived = derived;
        if (node.test) this.visitExpr(node.test, body);
        if (node.update) this.visitExpr(node.update, body);
        const from = this.patterns.length;
        this.visitNested(node.body, body);
        this.markExternal(frame, from);
        env.builders = mergeBranches(env.builders, [body.builders], false);
        return;
      }
      case "ForOfStatement":
      case "ForInStatement": {
        this.visitExpr(node.right, env);
        const kind = node.type === "ForOfStatement" ? (node.await ? "for await...of" : "for...of") : "for...in";
        const frame = { kind, line: this.at(node.start).line, range: isRangeIterable(node.right), ...this.walks(node.right, env) };
        const body = loopEnv(env, frame, changedIn([node.left, node.body], bindingNames(node.left)));
        this.iterate(this.rowsOf(node.right, env), body);
        const from = this.patterns.length;
        this.visitNested(node.body, body);
        this.markExternal(frame, from);
        env.builders = mergeBranches(env.builders, [body.builders], false);
        return;
      }
      case "WhileStatement":
      case "DoWhileStatement": {
        const frame: LoopFrame = {
          kind: node.type === "WhileStatement" ? "while" : "do...while",
          line: this.at(node.start).line,
          range: isRangeTest(node.test),
          // `while (queue.length)` drains a collection; `while (id)` / `while (true)` follows its own results.
          chained: !node.test || !readsLength(node.test),
        };
        const body = loopEnv(env, frame, changedIn([node.test, node.body]));
        this.visitExpr(node.test, body);
        const from = this.patterns.length;
        this.visitNested(node.body, body);
        this.markExternal(frame, from);
        env.builders = mergeBranches(env.builders, [body.builders], false);
        return;
      }
      case "ExpressionStatement":
        return this.visitExpr(node.expression, env);
      case "ReturnStatement":
        this.visitExpr(node.argument, env);
        // A returned result is used: a batched form must return the rows too. What an array method's
        // callback returns goes into an array the code may drop (`Promise.all(items.map(...))`): not counted.
        if (!env.loops[env.loops.length - 1]?.kind.startsWith(".")) {
          for (const pattern of this.rowsOf(node.argument, env)?.patterns ?? []) if (pattern.loopUse) pattern.loopUse.resultUsed = true;
        } else {
          // Kept on the frame: used once the `.map()` result is (`const rows = await Promise.all(items.map(...))`).
          const frame = env.loops[env.loops.length - 1];
          (frame.returned ??= []).push(...(this.rowsOf(node.argument, env)?.patterns ?? []));
        }
        return;
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
    this.bindRows(declarator.id, init, env);
    for (const bound of bindingNames(declarator.id)) env.config.delete(bound);
    const configured = name ? configSource(init, env.config, (n) => this.fixedLists.isImported(n)) ?? this.rowsOf(init, env)?.config : undefined;
    if (name && configured) env.config.set(name, configured);
    for (const bound of bindingNames(declarator.id)) env.derived.delete(bound);
    const derived = name ? this.derivedOf(init, env) : undefined;
    if (name && derived) env.derived.set(name, derived);
    for (const [bound, segments] of this.routeSegments(declarator.id, init)) env.derived.set(bound, segments);
    for (const bound of bindingNames(declarator.id)) env.fixed.set(bound, "");
    const fixed = name ? this.fixedLists.describe(init, env.fixed) : undefined;
    if (name) env.fixed.set(name, fixed && peel(init).type === "ArrayExpression" ? `\`${name}\`, ${fixed}` : fixed ?? "");
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
  private visitFunction(node: Node, env: Env, name: string | undefined, loop: LoopFrame | null, inheritLoops = false, rows?: RowSource, cachedBy?: string): void {
    const loops = inheritLoops ? [...env.loops] : [];
    const cached = cachedBy ?? (node.body?.type === "BlockStatement" && hasDirective(node.body.body, "use cache") ? '"use cache"' : env.cachedBy);
    if (loop) loops.push(loop);
    const varying = new Set(inheritLoops ? env.varying : []);
    // The callback of an array method runs once per element: its parameters and locals change each time.
    if (loop) {
      for (const param of node.params ?? []) bindingNames(param, varying);
      changedIn(node.body, varying);
    }
    const inner: Env = {
      builders: new Map(env.builders),
      functionName: node.id?.name ?? name ?? env.functionName,
      ...(cached ? { cachedBy: cached } : {}),
      loops,
      varying,
      itemBranch: inheritLoops && env.itemBranch,
      rows: inheritLoops ? new Map(env.rows) : new Map(),
      // A callback runs there and then: what it pushes to the caller's lists is seen after it.
      fixed: inheritLoops ? env.fixed : new Map(env.fixed),
      externalLists: inheritLoops ? env.externalLists : new Set(),
      objects: new Map(env.objects),
      optional: new Set(env.optional),
      defaults: new Map(env.defaults),
      config: new Map(env.config),
      // Like `fixed`: a callback's pushes to the caller's lists are seen after it.
      derived: inheritLoops ? env.derived : new Map(env.derived),
      ...(inheritLoops && env.readBranch ? { readBranch: env.readBranch } : {}),
    };
    for (const param of node.params ?? []) {
      for (const bound of bindingNames(param)) {
        inner.objects.delete(bound);
        inner.defaults.delete(bound);
        inner.optional.delete(bound);
      }
      for (const bound of this.optionalNames.ofParam(param)) inner.optional.add(bound);
      // A loop callback's untyped destructured item (`data.map(({ id, title }) => ...)`): a key the file's
      // types declare optional, and nowhere required, may be undefined, as TypeScript infers it.
      if (loop && param.type === "ObjectPattern" && !param.typeAnnotation) {
        for (const prop of param.properties ?? []) {
          const key: string | undefined = prop.type === "Property" && !prop.computed ? (prop.key?.name ?? prop.key?.value) : undefined;
          if (key !== undefined && prop.value?.type === "Identifier" && this.optionalNames.optionalMember(key)) inner.optional.add(prop.value.name);
        }
      }
      if (param.type === "Identifier") inner.builders.delete(param.name);
      for (const bound of bindingNames(param)) {
        inner.config.delete(bound);
        inner.rows.delete(bound);
        inner.fixed.set(bound, "");
      }
    }
    if (loop) this.iterate(rows, inner);
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
          this.sendBuilder(variants, env, node);
          this.visitChainArgs(node, env);
          return;
        }
        if (node.type === "CallExpression") {
          if (this.sendCall(node, env, node)) {
            for (const arg of node.arguments) this.visitExpr(arg, env);
            return;
          }
          const callee = peel(node.callee);
          const method = callee.type === "MemberExpression" && !callee.computed ? callee.property?.name : undefined;
          if ((method === "push" || method === "unshift") && peel(callee.object).type === "Identifier") this.pushed(peel(callee.object).name, env);
          if (method && LOOP_METHODS.has(method)) {
            this.visitExpr(callee.object, env);
            const frame: LoopFrame = { kind: `.${method}()`, line: this.at(callee.property.start).line, range: isRangeIterable(callee.object), ...this.walks(callee.object, env) };
            const rows = this.rowsOf(callee.object, env);
            for (const arg of node.arguments) {
              const fn = peel(arg);
              const from = this.patterns.length;
              if (isFunction(fn)) this.visitFunction(fn, env, undefined, frame, true, rows);
              else this.visitExpr(arg, env);
              this.markExternal(frame, from);
              // `(item) => prisma.x.update(...)`: the callback returns the query's result.
              if (isFunction(fn) && fn.body?.type !== "BlockStatement") (frame.returned ??= []).push(...(this.rowsOf(fn.body, env)?.patterns ?? []));
            }
            if (method === "map" && frame.returned?.length) this.mapReturns.set(node, { patterns: frame.returned, depth: env.loops.length });
            return;
          }
          this.visitExpr(node.callee, env);
          // Next.js `unstable_cache(fn, keys, options)` returns fn cached across requests.
          const cacheWrapper = callee.type === "Identifier" && callee.name === "unstable_cache" ? "unstable_cache" : undefined;
          for (const arg of node.arguments) {
            const fn = peel(arg);
            // A callback passed to a call runs there and then (retry helpers, transactions): same loops.
            if (isFunction(fn)) this.visitFunction(fn, env, undefined, null, true, undefined, cacheWrapper);
            else this.visitExpr(arg, env);
          }
          return;
        }
        this.visitExpr(node.object, env);
        if (node.computed) this.visitExpr(node.property, env);
        return;
      }
      case "AwaitExpression": {
        // An awaited call that sends no query (an email, an HTTP request): writes after it record its outcome.
        const before = this.patterns.length;
        this.visitExpr(node.argument, env);
        const loop = env.loops[env.loops.length - 1];
        if (loop && this.patterns.length === before && peel(node.argument).type === "CallExpression" && !onClient(peel(node.argument), (name) => this.statics.isClient(name))) {
          loop.external = true;
          const name = dottedName(peel(node.argument).callee);
          loop.externalCall ??= name ? `${name}()` : "a call";
        }
        return;
      }
      case "TaggedTemplateExpression": {
        this.sendTemplate(node, env, node);
        for (const expression of node.quasi.expressions) this.visitExpr(expression, env);
        return;
      }
      case "Identifier": {
        const variants = env.builders.get(node.name);
        if (variants) this.sendBuilder(variants, env, node);
        return;
      }
      case "ConditionalExpression": {
        this.visitExpr(node.test, env);
        // Same bindings (no merge needed for expressions); only whether a branch tests the item changes.
        const branch = { ...env, itemBranch: branchEnv(env, node.test).itemBranch };
        this.visitExpr(node.consequent, branch);
        this.visitExpr(node.alternate, branch);
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
          this.visitExpr(node.right, env);
          this.bindRows(node.left, node.right, env);
          return;
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
    for (const key in node) {
      const value = node[key];
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

  // ---------------------------------------------------------------- queries

  /** The query a builder expression stands for: a chain a client starts, or a builder variable extended. */
  private builderOf(node: Node, env: Env): BuilderVariant[] | undefined {
    const ctx = this.context(env);
    for (const client of this.clients) {
      const started = client.startBuilder?.(node, ctx);
      if (started) return started;
    }
    const { root, calls } = flattenChain(node);
    if (root.type === "Identifier" && env.builders.has(root.name)) {
      const steps = calls.map((c) => ({ method: c.method, args: c.args, conditional: false }));
      return env.builders.get(root.name)!.map((v) => ({ ...v, steps: [...v.steps, ...steps] }));
    }
    return undefined;
  }

  private sendBuilder(variants: BuilderVariant[], env: Env, node: Node): void {
    const ctx = this.context(env);
    // Branches that end up asking the same thing are one query.
    const seen = new Set<string>();
    const sent: AccessPattern[] = [];
    const memberships: Node[] = [];
    for (const variant of variants) {
      const call = variant.client.builderQuery!(variant, ctx);
      memberships.push(...call.memberships);
      this.annotate(call, env, [node, ...variant.steps.map((step) => step.args)]);
      for (const pattern of call.patterns) {
        if (variants.length > 1) {
          const key = JSON.stringify(pattern);
          if (seen.has(key)) continue;
          seen.add(key);
        }
        this.patterns.push(pattern);
        sent.push(pattern);
      }
    }
    this.sent.set(node, { patterns: sent, depth: env.loops.length, ...this.configured(memberships, env) });
  }

  /** A query whose every `IN` list is a configured list returns at most as many rows per key as that list holds. */
  private configured(memberships: Node[], env: Env): { config?: string } {
    if (memberships.length === 0) return {};
    const names = memberships.map((m) => configSource(m, env.config, (n) => this.fixedLists.isImported(n)));
    return names.every((n) => n) ? { config: names[0] } : {};
  }

  private sendCall(node: Node, env: Env, at: Node): QueryCall | undefined {
    const ctx = this.context(env);
    for (const client of this.clients) {
      const call = client.call?.(node, ctx);
      if (call) {
        this.record(call, env, at);
        return call;
      }
    }
    return undefined;
  }

  private sendTemplate(node: Node, env: Env, at: Node): QueryCall | undefined {
    const ctx = this.context(env);
    for (const client of this.clients) {
      const call = client.taggedTemplate?.(node, ctx);
      if (call) {
        this.record(call, env, at);
        return call;
      }
    }
    return undefined;
  }

  private record(call: QueryCall, env: Env, at: Node): void {
    this.annotate(call, env, [at]);
    this.patterns.push(...call.patterns);
    this.sent.set(at, { patterns: call.patterns, depth: env.loops.length, ...this.configured(call.memberships, env) });
  }

  // ---------------------------------------------------------------- loops and the rows queries return

  /** For a query inside a loop: what in it changes per iteration, and whether it sends the item as a set. */
  private annotate(call: QueryCall, env: Env, roots: unknown[]): void {
    if (env.loops.length === 0) return;
    const dependsOnLoop = (n: Node) => [...namesIn(n)].some((name) => env.varying.has(name));
    const loop = env.loops[env.loops.length - 1];
    const use: LoopUse = {
      varies: call.values.some((v) => dependsOnLoop(v) || hasCall(v)),
      // Prisma's `create` and `upsert` take one row, whatever expression builds it: never a set.
      batched: call.memberships.some(dependsOnLoop) && !(call.patterns[0]?.source === "prisma" && SINGLE_ROW.has(rootMethod(roots) ?? "")),
      // `new Date()` is written alike to every row: only what the loop changes makes the values per row.
      perRowValues: call.setValues.some(dependsOnLoop),
      branchPerItem: env.itemBranch,
    };
    // `col: item.col - 1` writes `col = col - 1` to every row: one set-based UPDATE, not per-row values.
    const omits = (n: Node) => mayOmit(n, (name) => env.optional.has(name), (name) => this.optionalNames.optionalMember(name));
    const written = shiftedWrites(call.setValues, dependsOnLoop, omits);
    if (written) {
      if (written.omittable.length > 0) use.omittable = written.omittable;
      use.perRowValues = written.perRow;
      if (written.shifts.length > 0) {
        use.shifts = written.shifts;
        if (written.up) use.shiftUp = true;
      }
      if (written.writes.length > 0) use.writes = written.writes;
    }
    const keys = keyedColumns(roots, dependsOnLoop);
    // A condition compared with a loop-carried value (`cursor: { id: c }` inside a spread) varies too.
    if (keys.columns.length > 0) use.varies = true;
    if (pagesThrough(roots, dependsOnLoop)) use.pages = true;
    use.keyColumns = keys.columns;
    use.keyTerms = keys.terms;
    if (loop.chained) use.chained = true;
    if (loop.external || env.loops.some((f) => f.fromExternal)) use.afterExternal = true;
    if (env.loops.every((f) => f.fixed)) use.fixedList = loop.fixed;
    if (loop.config && env.loops.every((f) => f.fixed || f.config)) use.configList = loop.config;
    if (loop.rowsFrom) use.rowsFrom = loop.rowsFrom;
    if (loop.derived?.parsed) use.parsedList = loop.derived.parsed;
    if (loop.derived?.partsOf) use.partsOf = loop.derived.partsOf;
    if (env.readBranch) use.afterRead = env.readBranch;
    if (call.patterns.some((p) => p.source === "prisma" && p.kind === "upsert")) {
      if (keepsExisting(roots)) use.keepsExisting = true;
      const update = upsertUpdate(roots, dependsOnLoop);
      if (update) use.upsertUpdate = update;
      const sentinel = sentinelKey(roots);
      if (sentinel) use.sentinelKey = sentinel;
    }
    if (call.patterns.some((p) => p.source === "prisma" && p.kind === "insert") && hasNestedWrites(roots)) use.nestedWrites = true;
    // `modelId: createdModel.id`: a row created before this loop, whose parts the loop writes.
    if (call.patterns.some((p) => p.kind === "insert" || p.kind === "upsert")) {
      const createdBefore = (name: string) => {
        const rows = env.rows.get(name);
        return !!rows && rows.depth < env.loops.length && rows.patterns.some((p) => p.kind === "insert" || p.kind === "upsert");
      };
      // The row created last, in the innermost enclosing scope, is the item these rows are parts of
      // (the prices of one new tier rather than of its model).
      let best: { at: Location; field: string; depth: number } | undefined;
      for (const parent of createdParentFields(roots, createdBefore)) {
        const rows = env.rows.get(parent.holder)!;
        const at = rows.patterns[0]?.location;
        if (!at) continue;
        const later = !best || rows.depth > best.depth || (rows.depth === best.depth && at.line > best.at.line);
        if (later) best = { at, field: parent.field, depth: rows.depth };
      }
      if (best) use.parentCreated = { at: best.at, field: best.field };
    }
    const method = rootMethod(roots);
    // Prisma `update` returns the whole updated row (`updateMany` only a count).
    if (method === "update" && call.patterns.some((p) => p.source === "prisma" && p.kind === "update")) use.returnsRow = true;
    if ((method && AGGREGATES.has(method)) || (roots[0] && selectsAggregate(roots[0] as Node))) use.aggregate = true;
    for (const pattern of call.patterns) pattern.loopUse = use;
  }

  /**
   * Names bound to a catch-all route segment's parameter (derived.ts catchAllSegments): `const { slug } = req.query`,
   * `const { slug } = await params`, `const slug = context.params.slug`, in a route file whose path holds `[...slug]`.
   */
  private routeSegments(id: Node, init: Node): Array<[string, DerivedList]> {
    if (!this.path.includes("[...")) return [];
    const source = peel(init);
    const fromRequest = (n: Node) => {
      const last = peel(n).type === "AwaitExpression" ? peel(peel(n).argument) : peel(n);
      const word = last.type === "Identifier" ? last.name : last.type === "MemberExpression" && !last.computed ? last.property?.name : undefined;
      return word === "query" || word === "params";
    };
    if (id.type === "ObjectPattern" && fromRequest(source)) {
      const out: Array<[string, DerivedList]> = [];
      for (const property of id.properties ?? []) {
        const key = property.key?.name ?? property.key?.value;
        const bound = peel(property.value ?? {}).type === "Identifier" ? peel(property.value).name : undefined;
        const segments = typeof key === "string" && bound ? catchAllSegments(this.path, key) : undefined;
        if (segments) out.push([bound, segments]);
      }
      return out;
    }
    if (id.type === "Identifier" && source.type === "MemberExpression" && !source.computed && fromRequest(source.object)) {
      const segments = catchAllSegments(this.path, source.property?.name ?? "");
      return segments ? [[id.name, segments]] : [];
    }
    return [];
  }

  /** What a list derives its elements from (loops.ts `derivedList`), with this scope's names and query results. */
  private derivedOf(node: Node, env: Env): DerivedList | undefined {
    return derivedList(node, env.derived, (n) => {
      const rows = this.rowsOf(n, env);
      return rows ? { at: rows.patterns[0]?.location } : undefined;
    });
  }

  /** What a loop over `iterable` walks: a list the code fixes, or one filled from per-item external calls. */
  private walks(iterable: Node, env: Env): Pick<LoopFrame, "fixed" | "fromExternal" | "config" | "rowsFrom" | "derived"> {
    const fixed = this.fixedLists.describe(iterable, env.fixed);
    const root = peel(iterable);
    const name = root.type === "Identifier" ? root.name : root.type === "CallExpression" ? flattenChain(root).root.name : undefined;
    const rows = this.rowsOf(iterable, env);
    const config = configSource(iterable, env.config, (n) => this.fixedLists.isImported(n)) ?? rows?.config;
    const derived = this.derivedOf(iterable, env);
    return {
      ...(fixed ? { fixed } : {}),
      ...(name && env.externalLists.has(name) ? { fromExternal: true } : {}),
      ...(config ? { config } : {}),
      ...(rows?.patterns[0] ? { rowsFrom: rows.patterns[0].location } : {}),
      ...(derived ? { derived } : {}),
    };
  }

  /** Once a loop body is walked: its queries share the iteration with the per-item calls it awaits. */
  private markExternal(frame: LoopFrame, from: number): void {
    if (!frame.externalCall) return;
    for (const pattern of this.patterns.slice(from)) {
      if (pattern.loopUse && pattern.loop?.line === frame.line && pattern.loop.kind === frame.kind) pattern.loopUse.externalWork ??= frame.externalCall;
    }
  }

  /** `list.push(x)`: the list is no longer what it was declared as; inside a loop after an external call, it holds that call's results. */
  private pushed(name: string, env: Env): void {
    if (env.fixed.has(name)) env.fixed.set(name, "");
    if (env.loops.some((f) => f.external)) env.externalLists.add(name);
    // A list filled while walking a derived list holds a subset of it; filled anywhere else, it is no longer one.
    const walking = env.loops[env.loops.length - 1]?.derived;
    const before = env.derived.get(name);
    if (walking && (!before || (before.parsed === walking.parsed && before.partsOf?.at === walking.partsOf?.at))) env.derived.set(name, walking);
    else env.derived.delete(name);
  }

  /** The rows an expression holds: a query's result, a variable bound to one, `data ?? []`, `result.rows`, `rows.map(...)`. */
  private rowsOf(node: Node | null | undefined, env: Env): RowSource | undefined {
    if (!node) return undefined;
    const n = peel(node);
    const direct = this.sent.get(n);
    if (direct) return direct;
    switch (n.type) {
      case "Identifier":
        return env.rows.get(n.name);
      case "AwaitExpression":
        return this.rowsOf(n.argument, env);
      case "LogicalExpression":
        return n.operator === "??" || n.operator === "||" ? this.rowsOf(n.left, env) : undefined;
      case "ConditionalExpression":
        // `ids.length > 0 ? await findMany(...) : []`: the rows, or none.
        return this.rowsOf(n.consequent, env) ?? this.rowsOf(n.alternate, env);
      case "MemberExpression":
        return !n.computed && (n.property?.name === "rows" || n.property?.name === "data") ? this.rowsOf(n.object, env) : undefined;
      case "CallExpression": {
        const method = calleeMethod(n);
        const callee = peel(n.callee);
        // `Promise.all(items.map(...))`: the results of the queries the callback returns.
        if ((method === "all" || method === "allSettled") && callee.type === "MemberExpression" && peel(callee.object).type === "Identifier" && peel(callee.object).name === "Promise") {
          const arg = n.arguments?.[0] ? peel(n.arguments[0]) : undefined;
          return arg ? this.mapReturns.get(arg) : undefined;
        }
        return method && ROW_PRESERVING.has(method) ? this.rowsOf(callee.object, env) : undefined;
      }
      default:
        return undefined;
    }
  }

  /** `const { data: sessions } = await query`, `const rows = data ?? []`, `const result = await pool.query(...)`. */
  private bindRows(target: Node | undefined, value: Node, env: Env): void {
    if (!target) return;
    const source = this.rowsOf(value, env);
    for (const name of bindingNames(target)) env.rows.delete(name);
    if (!source) return;
    for (const pattern of source.patterns) if (pattern.loopUse) pattern.loopUse.resultUsed = true;
    if (target.type === "Identifier") env.rows.set(target.name, source);
    // `const [first] = await db.select()...limit(1)`: the first row, tested as found or not.
    else if (target.type === "ArrayPattern" && target.elements?.[0]?.type === "Identifier") env.rows.set(target.elements[0].name, source);
    else if (target.type === "ObjectPattern") {
      for (const prop of target.properties ?? []) {
        const key = prop.key?.name ?? prop.key?.value;
        if (prop.type === "RestElement" || (key !== "data" && key !== "rows")) continue;
        for (const name of bindingNames(prop.value)) env.rows.set(name, source);
      }
    }
  }

  /**
   * Rows iterated by the innermost loop of `env`: when loops with range bounds enclose that iteration
   * (and not the fetch), the rows are aggregated in code, once per step of the range.
   */
  private iterate(source: RowSource | undefined, env: Env): void {
    if (!source) return;
    const nest = env.loops.slice(source.depth);
    const ranges = nest.slice(0, -1).filter((f) => f.range);
    if (ranges.length === 0) return;
    const loops = [...ranges, nest[nest.length - 1]].map(({ kind, line }) => ({ kind, line }));
    for (const pattern of source.patterns) {
      if (!pattern.rowsIteratedIn || pattern.rowsIteratedIn.length < loops.length) pattern.rowsIteratedIn = loops;
    }
  }
}

/** A branch: its own builder bindings; it tests the loop's item when its test reads a name that changes per iteration. */
/** `set` less the names in `drop`: a new set when any is dropped. */
function without(set: Set<string>, drop: Set<string>): Set<string> {
  if (![...drop].some((n) => set.has(n))) return set;
  return new Set([...set].filter((n) => !drop.has(n)));
}

function branchEnv(env: Env, test?: Node, read?: Env["readBranch"]): Env {
  const itemBranch = env.itemBranch || (env.loops.length > 0 && test !== undefined && [...namesIn(test)].some((n) => env.varying.has(n)));
  return { ...env, builders: new Map(env.builders), itemBranch, ...(read ? { readBranch: read } : {}) };
}

function loopEnv(env: Env, frame: LoopFrame, changed: Set<string>): Env {
  for (const name of env.varying) changed.add(name);
  return { ...env, builders: new Map(env.builders), loops: [...env.loops, frame], varying: changed };
}

/** Whether a statement list opens with the directive `name` (`"use cache";`), as ECMAScript directive prologues do. */
function hasDirective(body: Node[] | undefined, name: string): boolean {
  for (const statement of body ?? []) {
    if (statement.type !== "ExpressionStatement" || typeof statement.directive !== "string") return false;
    if (statement.directive === name) return true;
  }
  return false;
}
