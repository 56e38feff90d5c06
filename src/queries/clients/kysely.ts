// Kysely: `db.selectFrom("person").where("first_name", "=", name).orderBy("created_at", "desc").limit(10)`,
// `updateTable`, `deleteFrom`, `insertInto`, joins (`innerJoin("pet", "pet.owner_id", "person.id")` or a
// callback with `onRef`), expression-builder filters (`where((eb) => eb.and([...]))`), and
// `executeTakeFirst()` (one row wanted). Kysely sends table and column names exactly as written and binds
// every value. Sources: Kysely documentation (Getting started, SelectQueryBuilder, WhereInterface,
// ExpressionBuilder, JoinBuilder); how values are sent is CLIENT_SEND_MODES.kysely in ../send-modes.ts.
import type { AccessPattern, ColumnPredicate, OrderTerm, QueryKind } from "../../core/types.js";
import { flattenChain, isFunction, literalString, peel, type Node } from "../code/ast.js";
import { exactTable, isNullLiteral, lastName, literalSql, newPattern, objectProps } from "./build.js";
import type { BuilderVariant, CodeContext, PatternBase, QueryCall, QueryClient } from "./client.js";

const STARTS: Record<string, QueryKind> = { selectFrom: "select", updateTable: "update", deleteFrom: "delete", insertInto: "insert", replaceInto: "insert" };
const JOINS = new Set(["innerJoin", "leftJoin", "rightJoin", "fullJoin", "innerJoinLateral", "leftJoinLateral"]);
const RANGE: Record<string, "<" | "<=" | ">" | ">="> = { "<": "<", "<=": "<=", ">": ">", ">=": ">=" };

class Unknown extends Error {}

/** `"app.person as p"` -> table `app.person`, alias `p`. */
function tableExpression(text: string): { schema: string | undefined; name: string; alias: string } {
  const m = /^\s*([\w$.]+)(?:\s+as\s+([\w$]+))?\s*$/i.exec(text);
  const qualified = m?.[1] ?? text.trim();
  const dot = qualified.lastIndexOf(".");
  const schema = dot < 0 ? undefined : qualified.slice(0, dot);
  const name = dot < 0 ? qualified : qualified.slice(dot + 1);
  return { schema, name, alias: m?.[2] ?? name };
}

export const kyselyClient: QueryClient = {
  mayQuery: /\.(selectFrom|updateTable|deleteFrom|insertInto|replaceInto)\s*\(/,

  startBuilder(node: Node, ctx: CodeContext): BuilderVariant[] | undefined {
    const { calls } = flattenChain(node);
    const i = calls.findIndex((c) => Object.hasOwn(STARTS, c.method));
    if (i < 0) return undefined;
    const table = ctx.staticString(calls[i].args[0]);
    if (!table) return undefined;
    return [{ client: kyselyClient, table, steps: calls.slice(i).map((c) => ({ method: c.method, args: c.args, conditional: false })), fromOffset: calls[i].propertyStart }];
  },

  builderQuery(variant: BuilderVariant, ctx: CodeContext): QueryCall {
    const call: QueryCall = { patterns: [], values: [], setValues: [], memberships: [] };
    const reader = new Reader(ctx, ctx.base(ctx.location(variant.fromOffset)), call);
    const main = reader.table(variant.table, STARTS[variant.steps[0].method] ?? "select");
    try {
      for (const step of variant.steps) if (step.method === "select") reader.selectList(step.args);
      for (const step of variant.steps.slice(1)) reader.step(step.method, step.args, main, step.conditional);
      // A window aggregate (`count(*) over()`) reads every matching row before the LIMIT applies: no order helps.
      if (reader.windowed) main.orderBy = [];
    } catch (error) {
      if (!(error instanceof Unknown)) throw error;
      call.patterns = [];
    }
    return call;
  },
};

class Reader {
  /** Patterns by the alias (or table name) the query uses for them. */
  private readonly byAlias = new Map<string, AccessPattern>();
  private main?: AccessPattern;
  /** The select list holds a window function (`.over()`): the whole result is computed before LIMIT. */
  windowed = false;
  /** An ORDER BY term was chosen at run time (`.$call(...)`, a variable column): later terms do not lead. */
  private orderUnknown = false;

  constructor(
    private readonly ctx: CodeContext,
    private readonly base: PatternBase,
    private readonly call: QueryCall,
  ) {}

  table(text: string, kind: QueryKind): AccessPattern {
    const { schema, name, alias } = tableExpression(text);
    // Kysely quotes every identifier it sends: the name is exact.
    const pattern: AccessPattern = { ...newPattern(name, kind, this.base, "kysely"), ...exactTable(schema, name) };
    this.byAlias.set(alias, pattern);
    if (alias !== name) this.byAlias.set(name, pattern);
    this.main ??= pattern;
    this.call.patterns.push(pattern);
    return pattern;
  }

  /** One builder call; `conditional` when it is added on some code paths only. */
  step(method: string, args: Node[], main: AccessPattern, conditional: boolean): void {
    const [a, b, c] = args;
    switch (method) {
      case "where":
        if (args.length >= 3) return this.comparison(a, b, c, conditional);
        if (a && isFunction(peel(a))) return this.expressionCallback(peel(a), conditional);
        throw new Unknown();
      case "whereRef":
        return this.columnsCompared(a, c, undefined);
      case "orderBy":
        return this.orderBy(args, main);
      case "$call":
        // The callback may add ORDER BY terms the audit cannot read; any term after them is not the first key.
        this.orderUnknown = true;
        return;
      case "limit":
        main.limited ||= !conditional;
        if (a) this.call.values.push(a);
        return;
      case "executeTakeFirst":
      case "executeTakeFirstOrThrow":
        // The caller wants one row (Kysely adds no LIMIT; the query is meant to find at most one).
        main.limited = true;
        return;
      case "set":
        for (const v of args) {
          this.call.values.push(v);
          this.call.setValues.push(v);
        }
        return;
      case "values":
        if (a) {
          this.call.values.push(a);
          if (peel(a).type !== "ObjectExpression") this.call.memberships.push(a);
        }
        return;
      case "onConflict":
        main.kind = "upsert";
        return;
    }
    if (JOINS.has(method)) {
      const text = this.ctx.staticString(a);
      if (!text) throw new Unknown();
      const joined = tableExpression(text);
      this.table(text, "select");
      if (args.length >= 3) return this.columnsCompared(b, c, joined.alias);
      if (b && isFunction(peel(b))) return this.joinCallback(peel(b), joined.alias);
      throw new Unknown();
    }
  }

  /** `"p.first_name"`, `"first_name"`: the pattern of its table and the column. */
  private column(node: Node | undefined): { pattern: AccessPattern; column: string } | undefined {
    const text = this.ctx.staticString(node);
    if (!text) return undefined;
    const parts = text.trim().split(".");
    const column = parts[parts.length - 1];
    if (!/^[\w$]+$/.test(column)) return undefined;
    if (parts.length === 1) return this.main ? { pattern: this.main, column } : undefined;
    const pattern = this.byAlias.get(parts[parts.length - 2]);
    return pattern ? { pattern, column } : undefined;
  }

  /** `where(col, op, value)` or `eb(col, op, value)`. */
  private comparison(colNode: Node | undefined, opNode: Node | undefined, value: Node | undefined, conditional: boolean): void {
    const c = this.column(colNode);
    const op = literalString(opNode ? peel(opNode) : undefined)?.toLowerCase();
    if (!c || !op || !value) throw new Unknown();
    const v = peel(value);
    const push = (p: Omit<ColumnPredicate, "column">) => {
      const predicate: ColumnPredicate = { column: c.column, ...p };
      if (conditional) predicate.conditional = true;
      c.pattern.predicates.push(predicate);
    };
    // `is null` / `is not null` are written into the text as immediate values.
    if ((op === "is" || op === "is not") && isNullLiteral(v)) return push({ op: op === "is" ? "is-null" : "is-not-null", sentAs: "literal" });
    if (v.type === "TaggedTemplateExpression" || (v.type === "CallExpression" && isFunction(peel(v.callee)))) throw new Unknown();
    this.call.values.push(value);
    const constant = literalSql(v);
    if (op === "=" || op === "==") return push({ op: "eq", sentAs: "param", ...(constant ? { value: constant } : {}) });
    if (Object.hasOwn(RANGE, op)) return push({ op: "range", operator: RANGE[op], sentAs: "param", ...(constant ? { value: constant } : {}) });
    if (op === "in") {
      this.call.memberships.push(value);
      return push({ op: "in", sentAs: "param" });
    }
    if (op === "<>" || op === "!=") return push({ op: "neq", sentAs: "param" });
    if (op === "like" || op === "ilike") return push({ op: "like", sentAs: "param", ...(op === "ilike" ? { caseInsensitive: true } : {}) });
    if (op === "@>" || op === "<@" || op === "&&") return push({ op: "contains", sentAs: "param" });
    return push({ op: "other", sentAs: "param" });
  }

  /** `a.x = b.y` between two tables of the query: the table joined later is probed by its column. */
  private columnsCompared(left: Node | undefined, right: Node | undefined, joined: string | undefined): void {
    const l = this.column(left);
    const r = this.column(right);
    if (!l || !r) throw new Unknown();
    const joinedPattern = joined ? this.byAlias.get(joined) : undefined;
    const [inner, outer] = r.pattern === joinedPattern ? [r, l] : [l, r];
    inner.pattern.predicates.push({ column: inner.column, op: "eq", sentAs: "param" });
    const existing = outer.pattern.joins.find((j) => j.table === inner.pattern.table);
    if (existing) existing.columns.push(inner.column);
    else outer.pattern.joins.push({ table: inner.pattern.table, columns: [inner.column] });
  }

  /** `innerJoin("pet as p", (join) => join.onRef("p.owner_id", "=", "person.id").on("p.kind", "=", k))`. */
  private joinCallback(fn: Node, joined: string): void {
    const body = fn.body?.type === "BlockStatement" ? fn.body.body.find((s: Node) => s.type === "ReturnStatement")?.argument : fn.body;
    if (!body) throw new Unknown();
    for (const call of flattenChain(body).calls) {
      if (call.method === "onRef") this.columnsCompared(call.args[0], call.args[2], joined);
      else if (call.method === "on" && call.args.length >= 3) this.comparison(call.args[0], call.args[1], call.args[2], false);
      else throw new Unknown();
    }
  }

  /** `where((eb) => eb.and([eb("a", "=", x), eb("b", ">", y)]))`, `({ eb, and, or }) => and([...])`. */
  private expressionCallback(fn: Node, conditional: boolean): void {
    const param = fn.params[0];
    const names = new Set<string>();
    if (param?.type === "Identifier") names.add(param.name);
    for (const prop of param?.type === "ObjectPattern" ? param.properties : []) if (prop.value?.type === "Identifier") names.add(prop.value.name);
    const body = fn.body?.type === "BlockStatement" ? fn.body.body.find((s: Node) => s.type === "ReturnStatement")?.argument : fn.body;
    if (!body) throw new Unknown();
    this.expression(body, names, conditional);
  }

  private expression(node: Node, names: Set<string>, conditional: boolean): void {
    const n = peel(node);
    if (n.type !== "CallExpression") throw new Unknown();
    const callee = peel(n.callee);
    const fn = lastName(callee);
    const owner = callee.type === "MemberExpression" ? lastName(callee.object) : callee.type === "Identifier" ? callee.name : undefined;
    if (!owner || !names.has(owner)) throw new Unknown();
    const [a, b, c] = n.arguments;
    if (callee.type === "Identifier" && fn !== "and" && fn !== "or" && fn !== "not") return this.comparison(a, b, c, conditional);
    if (fn === "eb") return this.comparison(a, b, c, conditional);
    if (fn === "and") {
      const list = peel(a);
      if (list.type === "ArrayExpression") {
        for (const item of list.elements) if (item) this.expression(item, names, conditional);
        return;
      }
      for (const { key, value } of objectProps(list) ?? []) {
        const col = key ? this.column({ type: "Literal", value: key }) : undefined;
        if (!col) throw new Unknown();
        this.call.values.push(value);
        col.pattern.predicates.push({ column: col.column, op: "eq", sentAs: "param", ...(literalSql(value) ? { value: literalSql(value) } : {}) });
      }
      return;
    }
    if (fn === "or" || fn === "not" || fn === "exists") {
      if (fn === "or") for (const p of this.byAlias.values()) p.hasOr = true;
      this.call.values.push(...n.arguments);
      return;
    }
    if (fn === "between") {
      const col = this.column(a);
      if (!col) throw new Unknown();
      this.call.values.push(b, c);
      col.pattern.predicates.push({ column: col.column, op: "range", operator: ">=", sentAs: "param" }, { column: col.column, op: "range", operator: "<=", sentAs: "param" });
      return;
    }
    throw new Unknown();
  }

  /** Names the query's select list gives its outputs (`"a as b"`, `.as("b")`): ORDER BY may name those instead of columns. */
  readonly outputNames = new Set<string>();

  selectList(args: Node[]): void {
    const visit = (node: unknown): void => {
      if (!node || typeof node !== "object") return;
      const n = node as Node;
      const text = typeof n.type === "string" ? this.ctx.staticString(n) : undefined;
      const alias = text ? /\sas\s+([\w$]+)\s*$/i.exec(text)?.[1] : undefined;
      if (alias) this.outputNames.add(alias);
      if (n.type === "CallExpression" && lastName(n.callee) === "over") this.windowed = true;
      if (n.type === "CallExpression" && lastName(n.callee) === "as") {
        const name = this.ctx.staticString(n.arguments[0]);
        if (name) this.outputNames.add(name);
      }
      for (const key in n) {
        const value = n[key];
        if (key !== "type" && value && typeof value === "object") Array.isArray(value) ? value.forEach(visit) : visit(value);
      }
    };
    args.forEach(visit);
  }

  /** `orderBy("created_at", "desc")`, `orderBy("created_at desc")`, `orderBy(["a", "b"])`. */
  private orderBy(args: Node[], main: AccessPattern): void {
    const [a, b] = args;
    const list = a ? peel(a) : undefined;
    const items = list?.type === "ArrayExpression" ? list.elements : [a];
    const direction = literalString(b ? peel(b) : undefined);
    if (this.orderUnknown) return;
    for (const item of items) {
      const text = this.ctx.staticString(item);
      if (!text) {
        this.orderUnknown = true;
        break;
      }
      const m = /^\s*([\w$.]+)(?:\s+(asc|desc))?\s*$/i.exec(text);
      const c = m ? this.column({ type: "Literal", value: m[1] }) : undefined;
      const dir = (m?.[2] ?? (items.length === 1 ? direction : undefined) ?? "asc").toLowerCase();
      if (!c || c.pattern !== main || (dir !== "asc" && dir !== "desc") || (!m![1].includes(".") && this.outputNames.has(c.column))) {
        this.orderUnknown = true;
        break;
      }
      main.orderBy.push({ column: c.column, descending: dir === "desc", nullsFirst: null } satisfies OrderTerm);
    }
  }
}
