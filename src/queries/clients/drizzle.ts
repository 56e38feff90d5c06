// Drizzle ORM: the query builder (`db.select().from(users).where(eq(users.id, id))`, `db.update(t).set()
// .where()`, `db.delete(t).where()`, `db.insert(t).values()`, joins, `.prepare()` with `sql.placeholder()`)
// and relational queries (`db.query.users.findMany({ where, orderBy, limit, with })`, with `where` as an SQL
// expression as drizzle-orm 0.x writes it (`where: eq(users.id, id)`), a callback, or the object filter
// syntax). Patterns are in Drizzle's vocabulary (the table's variable, its column keys) and are mapped to
// tables and columns by declared-names.ts. Sources: Drizzle ORM documentation (Select, Update, Delete,
// Insert, Joins, Filters, Query performance, Relational queries, Magic sql`` operator); how values are
// sent is CLIENT_SEND_MODES.drizzle in ../send-modes.ts.
import type { ColumnPredicate, OrderTerm, QueryKind } from "../../core/types.js";
import { flattenChain, isFunction, literalString, peel, type Node } from "../code/ast.js";
import { isNullLiteral, lastName, literalSql, newPattern, objectProps, propertyOf } from "./build.js";
import type { BuilderVariant, CodeContext, PatternBase, QueryCall, QueryClient } from "./client.js";
import type { NamedPattern } from "./declared-names.js";

/** Receivers of `update` / `delete` that hold a Drizzle database or transaction. */
const RECEIVER = /^(db|tx|trx|txn|drizzle|database|client)$|db$|Db$|database$|Database$/;
const SELECTS = new Set(["select", "selectDistinct", "selectDistinctOn"]);
const JOINS = new Set(["innerJoin", "leftJoin", "rightJoin", "fullJoin", "crossJoin", "innerJoinLateral", "leftJoinLateral"]);
const RANGE: Record<string, "<" | "<=" | ">" | ">="> = { gt: ">", gte: ">=", lt: "<", lte: "<=" };

/** Operators whose first argument is a column (drizzle-orm's filter and order helpers). */
const COLUMN_FIRST = new Set(["eq", "ne", "gt", "gte", "lt", "lte", "inArray", "notInArray", "isNull", "isNotNull", "between", "notBetween", "like", "ilike", "notLike", "notIlike", "arrayContains", "arrayContained", "arrayOverlaps", "asc", "desc"]);

/** Comparison operators in SQL text between a column and a value, as the predicate they make. */
const SQL_COMPARISON: Record<string, "eq" | "neq" | "<" | "<=" | ">" | ">="> = { "=": "eq", "<>": "neq", "!=": "neq", "<": "<", "<=": "<=", ">": ">", ">=": ">=" };

/** Thrown where the query holds what cannot be read: an SQL fragment, a condition built elsewhere. */
class Unknown extends Error {}

/** The variable a table reference names: `users`, `schema.users`. */
function tableRef(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  const n = peel(node);
  if (n.type === "Identifier") return n.name;
  if (n.type === "MemberExpression" && !n.computed && n.object?.type === "Identifier") return n.property?.name;
  return undefined;
}

export const drizzleClient: QueryClient = {
  mayQuery: /\.(select|selectDistinct|update|delete|insert)\s*\(|\.query\.\w+\.find(Many|First)\s*\(/,

  startBuilder(node: Node, ctx: CodeContext): BuilderVariant[] | undefined {
    const { root, calls } = flattenChain(node);
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i];
      const next = calls[i + 1];
      const receiver = i === 0 ? root : calls[i - 1].node;
      let table: string | undefined;
      if (SELECTS.has(call.method) && next?.method === "from") table = tableRef(next.args[0]);
      else if (call.method === "update" && next?.method === "set") table = tableRef(call.args[0]);
      else if (call.method === "insert" && next?.method === "values") table = tableRef(call.args[0]);
      else if (call.method === "delete" && call.args.length === 1 && (next?.method === "where" || next?.method === "returning" || RECEIVER.test(lastName(receiver) ?? ""))) {
        table = tableRef(call.args[0]);
      }
      if (!table || peel(receiver).type === "ThisExpression") continue;
      return [{ client: drizzleClient, table, steps: calls.slice(i).map((c) => ({ method: c.method, args: c.args, conditional: false })), fromOffset: call.propertyStart }];
    }
    return undefined;
  },

  builderQuery(variant: BuilderVariant, ctx: CodeContext): QueryCall {
    const call: QueryCall = { patterns: [], values: [], setValues: [], memberships: [] };
    const first = variant.steps[0]?.method ?? "select";
    const kind: QueryKind = SELECTS.has(first) ? "select" : first === "update" ? "update" : first === "delete" ? "delete" : "insert";
    const reader = new ConditionReader(ctx.base(ctx.location(variant.fromOffset)), call);
    const main = reader.pattern(variant.table, kind, []);
    try {
      for (const step of variant.steps) {
        const [a, b] = step.args;
        if (step.method === "where" && a) reader.condition(a, step.conditional);
        else if (JOINS.has(step.method)) {
          const joined = tableRef(a);
          if (!joined) throw new Unknown();
          reader.pattern(joined, "select", []);
          if (b) reader.condition(b, false, joined);
        } else if (step.method === "orderBy") main.orderBy = reader.orderTerms(step.args, variant.table);
        else if (step.method === "limit") {
          // A limit added on some paths only: the query also runs without it.
          main.limited ||= !step.conditional;
          if (a) call.values.push(a);
        } else if (step.method === "set" && a) {
          call.values.push(a);
          call.setValues.push(a);
        } else if (step.method === "values" && a) {
          call.values.push(a);
          if (peel(a).type !== "ObjectExpression") call.memberships.push(a);
        } else if (step.method === "onConflictDoUpdate") main.kind = "upsert";
      }
    } catch (error) {
      if (!(error instanceof Unknown)) throw error;
      call.patterns = [];
    }
    return call;
  },

  /** Relational queries: `db.query.<table>.findMany(...)` / `.findFirst(...)`. */
  call(node: Node, ctx: CodeContext): QueryCall | undefined {
    const callee = peel(node.callee);
    if (callee.type !== "MemberExpression" || callee.computed) return undefined;
    const method = callee.property?.name;
    if (method !== "findMany" && method !== "findFirst") return undefined;
    const accessor = peel(callee.object);
    if (accessor.type !== "MemberExpression" || accessor.computed) return undefined;
    const holder = peel(accessor.object);
    if (holder.type !== "MemberExpression" || holder.computed || (holder.property?.name !== "query" && holder.property?.name !== "_query")) return undefined;
    const table: string = accessor.property.name;
    const call: QueryCall = { patterns: [], values: [], setValues: [], memberships: [] };
    const reader = new ConditionReader(ctx.base(ctx.location(accessor.property.start)), call);
    try {
      const root = reader.pattern(table, "select", []);
      root.limited = method === "findFirst";
      const args = node.arguments[0];
      if (args && peel(args).type !== "ObjectExpression") throw new Unknown();
      if (args) reader.relational(args, root, table, []);
    } catch (error) {
      if (!(error instanceof Unknown)) throw error;
      call.patterns = [];
    }
    return call;
  },
};

class ConditionReader {
  /** Patterns of this query by the table variable (or relation path) they read. */
  private readonly byTable = new Map<string, NamedPattern>();
  /** Callback parameters that stand for a table (`(users, { eq }) => ...`). */
  private readonly aliases = new Map<string, string>();
  /** The relational level whose `where` is being read: a relation's filter is its own subquery's. */
  private level: NamedPattern | undefined;

  constructor(
    private readonly base: PatternBase,
    private readonly call: QueryCall,
  ) {}

  pattern(table: string, kind: QueryKind, path: string[], via?: "eq"): NamedPattern {
    const pattern: NamedPattern = newPattern(table, kind, this.base, "drizzle");
    pattern.declaredNames = { client: "drizzle", path, ...(via ? { via } : {}) };
    this.call.patterns.push(pattern);
    if (path.length === 0) this.byTable.set(table, pattern);
    return pattern;
  }

  /** `users.email` (or a callback parameter standing for `users`): the table variable and column key. */
  private column(node: Node): { table: string; key: string } | undefined {
    const n = peel(node);
    if (n.type !== "MemberExpression" || n.computed) return undefined;
    const object = peel(n.object);
    const name = object.type === "Identifier" ? object.name : object.type === "MemberExpression" && !object.computed ? object.property?.name : undefined;
    if (!name) return undefined;
    const table = this.aliases.get(name) ?? name;
    return this.byTable.has(table) ? { table, key: n.property.name } : undefined;
  }

  /**
   * A filter expression: `and(...)`, `eq(col, v)`, ... `joinTable` is set for a join's ON condition:
   * a column compared with another table's column there is the join.
   */
  condition(node: Node, conditional: boolean, joinTable?: string): void {
    const n = peel(node);
    if (n.type === "Identifier" && n.name === "undefined") return;
    if (n.type === "ConditionalExpression") {
      for (const branch of [n.consequent, n.alternate]) this.condition(branch, true, joinTable);
      return;
    }
    if (n.type === "LogicalExpression" && n.operator === "&&") return this.condition(n.right, true, joinTable);
    if (n.type === "TaggedTemplateExpression" && lastName(n.tag) === "sql" && !joinTable) return this.fragment(n, conditional);
    if (n.type !== "CallExpression") throw new Unknown();
    const name = lastName(n.callee);
    const args: Node[] = n.arguments;
    if (args.some((a) => a.type === "SpreadElement")) throw new Unknown();
    switch (name) {
      case "and":
        for (const a of args) this.condition(a, conditional, joinTable);
        return;
      case "or":
      case "not":
        for (const p of this.filtered()) p.hasOr ||= name === "or";
        this.call.values.push(...args);
        return;
      case "exists":
      case "notExists":
        return;
      case "isNull":
      case "isNotNull": {
        const c = this.column(args[0]);
        if (!c) throw new Unknown();
        return this.push(c, { op: name === "isNull" ? "is-null" : "is-not-null", sentAs: "literal" }, conditional);
      }
      case "between":
      case "notBetween": {
        const c = this.column(args[0]);
        if (!c) throw new Unknown();
        this.call.values.push(args[1], args[2]);
        if (name === "notBetween") return this.push(c, { op: "other", sentAs: "param" }, conditional);
        this.push(c, { op: "range", operator: ">=", sentAs: "param" }, conditional);
        return this.push(c, { op: "range", operator: "<=", sentAs: "param" }, conditional);
      }
    }
    const [left, right] = args;
    const c = left ? this.column(left) : undefined;
    if (!c || !right) throw new Unknown();
    const other = this.column(right);
    if (other) {
      if (name !== "eq") return;
      // Two tables' columns compared: the join. The joined table is probed by its column once per outer row.
      const [inner, outer] = other.table === joinTable ? [other, c] : [c, other];
      this.push(inner, { op: "eq", sentAs: "param" }, false);
      const join = this.byTable.get(outer.table)!.joins;
      const existing = join.find((j) => j.table === inner.table);
      if (existing) existing.columns.push(inner.key);
      else join.push({ table: inner.table, columns: [inner.key] });
      return;
    }
    if (isFragment(right)) throw new Unknown();
    this.call.values.push(right);
    const value = literalSql(right);
    switch (name) {
      case "eq":
        if (isNullLiteral(right)) throw new Unknown();
        return this.push(c, { op: "eq", sentAs: "param", ...(value ? { value } : {}) }, conditional);
      case "ne":
        return this.push(c, { op: "neq", sentAs: "param" }, conditional);
      case "gt":
      case "gte":
      case "lt":
      case "lte":
        return this.push(c, { op: "range", operator: RANGE[name], sentAs: "param", ...(value ? { value } : {}) }, conditional);
      case "inArray":
        this.call.memberships.push(right);
        return this.push(c, { op: "in", sentAs: "param" }, conditional);
      case "like":
      case "ilike":
        return this.push(c, { op: "like", sentAs: "param", ...(name === "ilike" ? { caseInsensitive: true } : {}) }, conditional);
      case "arrayContains":
      case "arrayContained":
      case "arrayOverlaps":
        return this.push(c, { op: "contains", sentAs: "param" }, conditional);
      case "notInArray":
      case "notLike":
      case "notIlike":
        return this.push(c, { op: "other", sentAs: "param" }, conditional);
      default:
        throw new Unknown();
    }
  }

  /**
   * A condition written as SQL text, `` sql`...` ``, where Drizzle splices each `${t.col}` in as the quoted
   * column and each other value as a bound parameter (Drizzle ORM documentation, "Magic sql`` operator"):
   * - text with an OR: an OR the reader does not split, as `or(...)`;
   * - `${t.col} IS [NOT] NULL`: that test, as `isNull(t.col)` writes it;
   * - `${t.col} = ${v}` (and `<>`, `!=`, `<`, `<=`, `>`, `>=`): that comparison with a parameter, as `eq` ...;
   * - other text naming columns of the query's tables: a filter on each of them whose share of rows is
   *   unknown (`op: "other"`), never an equality;
   * - text naming none (an `EXISTS` over another table, a clock test): the call is not read, as the filter
   *   it adds is neither an OR nor a column's.
   */
  private fragment(n: Node, conditional: boolean): void {
    const quasis: string[] = n.quasi.quasis.map((q: Node) => q.value?.cooked ?? q.value?.raw ?? "");
    const parts: Node[] = n.quasi.expressions;
    if (quasis.some((q) => /\bor\b/i.test(q))) {
      for (const p of this.filtered()) p.hasOr = true;
      this.call.values.push(...parts);
      return;
    }
    const columns = parts.map((part) => this.column(part));
    const [head, middle = "", tail = ""] = quasis.map((q) => q.trim());
    const first = columns[0];
    if (first && head === "") {
      const nullTest = parts.length === 1 ? /^is\s+(not\s+)?null$/i.exec(middle) : null;
      if (nullTest) return this.push(first, { op: nullTest[1] ? "is-not-null" : "is-null", sentAs: "literal" }, conditional);
      const value = parts[1];
      const op = parts.length === 2 && tail === "" && !columns[1] && !isFragment(value) && peel(value).type !== "CallExpression" ? middle : undefined;
      if (op && Object.hasOwn(SQL_COMPARISON, op)) {
        this.call.values.push(value);
        const compared = SQL_COMPARISON[op];
        const constant = literalSql(value);
        if (compared === "eq") return this.push(first, { op: "eq", sentAs: "param", ...(constant ? { value: constant } : {}) }, conditional);
        if (compared === "neq") return this.push(first, { op: "neq", sentAs: "param" }, conditional);
        return this.push(first, { op: "range", operator: compared, sentAs: "param", ...(constant ? { value: constant } : {}) }, conditional);
      }
    }
    if (!columns.some(Boolean)) throw new Unknown();
    parts.forEach((part, i) => {
      const c = columns[i];
      if (c) this.push(c, { op: "other", sentAs: "param" }, conditional);
      else this.call.values.push(part);
    });
  }

  /** The patterns a filter being read applies to: one relational level's, or every table of a builder query. */
  private filtered(): Iterable<NamedPattern> {
    return this.level ? [this.level] : this.byTable.values();
  }

  private push(c: { table: string; key: string }, p: Omit<ColumnPredicate, "column">, conditional: boolean): void {
    const predicate: ColumnPredicate = { column: c.key, ...p };
    if (conditional) predicate.conditional = true;
    this.byTable.get(c.table)!.predicates.push(predicate);
  }

  /** `orderBy(desc(t.createdAt), t.id)`: terms on `table`, up to the first that is not a plain column of it. */
  orderTerms(args: Node[], table: string): OrderTerm[] {
    const terms: OrderTerm[] = [];
    const items = args.length === 1 && peel(args[0]).type === "ArrayExpression" ? peel(args[0]).elements : args;
    for (const item of items) {
      const n = peel(item);
      const direction = n.type === "CallExpression" ? lastName(n.callee) : "asc";
      const c = this.column(n.type === "CallExpression" ? n.arguments[0] : n);
      if ((direction !== "asc" && direction !== "desc") || !c || c.table !== table) break;
      terms.push({ column: c.key, descending: direction === "desc", nullsFirst: null });
    }
    return terms;
  }

  /**
   * `{ where, orderBy, limit, with }` of a relational query on `table` (relation `path` from the root). A
   * relation whose own clauses are not read (`where: buildFilter(...)`) is left out with the relations read
   * through it; the rest of the query stands, as each relation is a subquery of its own.
   */
  relational(args: Node, pattern: NamedPattern, table: string, path: string[]): void {
    const key = path.length ? `\u0000${path.join(".")}` : table;
    this.byTable.set(key, pattern);
    this.clauses(args, pattern, key, path.length === 0);
    for (const { key: relation, value } of objectProps(propertyOf(args, "with")) ?? []) {
      const v = peel(value);
      if (!relation || (v.type === "Literal" && v.value === false)) continue;
      // Relational queries read each relation in a lateral subquery: once per parent row, by its key.
      const mark = this.call.patterns.length;
      const child = this.pattern(table, "select", [...path, relation], "eq");
      if (v.type !== "ObjectExpression") continue;
      try {
        this.relational(v, child, table, [...path, relation]);
      } catch (error) {
        if (!(error instanceof Unknown)) throw error;
        this.call.patterns.length = mark;
      }
    }
  }

  /** `where`, `orderBy`, `limit` and `offset` of one level of a relational query, whose pattern is `key`. */
  private clauses(args: Node, pattern: NamedPattern, key: string, root: boolean): void {
    const where = propertyOf(args, "where");
    const orderBy = propertyOf(args, "orderBy");
    // The SQL-expression forms (`where: eq(posts.authorId, id)`, `orderBy: [desc(posts.createdAt)]`) name the
    // table by its variable. Drizzle reads a relation's table under an alias and maps every column of that
    // table to it, so at this level the variable stands for this pattern's table (a relation to the same table,
    // `parent: one(comments, ...)`, included). A callback's parameter stands for it too, and may be joined
    // by the variable (`(p, { eq }) => eq(posts.published, true)`). Set for this level only: a sibling
    // relation may use the same names for its own table.
    const bodies: Node[] = [];
    const params = new Set<string>();
    for (const clause of [where, orderBy]) {
      const fn = clause ? peel(clause) : undefined;
      if (!fn || fn.type === "ObjectExpression") continue;
      if (!isFunction(fn)) bodies.push(fn);
      else {
        if (fn.params[0]?.type === "Identifier") params.add(fn.params[0].name);
        bodies.push(returned(fn));
      }
    }
    const scoped = this.scope(bodies, key, root);
    for (const name of params) scoped.delete(name);
    if (scoped.size > 1) throw new Unknown();
    const saved = new Map([...scoped, ...params].map((name) => [name, this.aliases.get(name)]));
    for (const name of saved.keys()) this.aliases.set(name, key);
    const outer = this.level;
    this.level = pattern;
    try {
      if (where) {
        const fn = peel(where);
        if (isFunction(fn)) this.condition(returned(fn), false);
        else if (fn.type === "ObjectExpression") this.objectFilter(fn, pattern);
        // Relational queries v1: the filter is an SQL expression, read as the builder's `.where(...)` is.
        else this.condition(fn, false);
      }
      if (orderBy) {
        const fn = peel(orderBy);
        if (isFunction(fn)) pattern.orderBy = this.orderTerms([returned(fn)], key);
        else if (fn.type === "ObjectExpression") {
          for (const { key: k, value } of objectProps(fn) ?? []) {
            const direction = literalString(value);
            if (!k || (direction !== "asc" && direction !== "desc")) break;
            pattern.orderBy.push({ column: k, descending: direction === "desc", nullsFirst: null });
          }
        } else pattern.orderBy = this.orderTerms([fn], key);
      }
    } finally {
      this.level = outer;
      for (const [name, previous] of saved) {
        if (previous === undefined) this.aliases.delete(name);
        else this.aliases.set(name, previous);
      }
    }
    const limit = propertyOf(args, "limit");
    if (limit) {
      pattern.limited = true;
      this.call.values.push(limit);
    }
    const offset = propertyOf(args, "offset");
    if (offset) this.call.values.push(offset);
  }

  /**
   * The table variables an SQL-expression `where` / `orderBy` of one relational level names in a column's
   * place (the first argument of `eq`, `inArray`, `isNull`, `desc`, ...). At the root, the variable that
   * is the query's own key already resolves; a nested level has no variable of its own. More than one
   * name (besides a callback's parameter) is not a filter Drizzle can run on one table: the caller leaves
   * the call unread.
   */
  private scope(nodes: Node[], key: string, root: boolean): Set<string> {
    const names = new Set<string>();
    const visit = (node: Node | undefined): void => {
      const n = node ? peel(node) : undefined;
      if (!n) return;
      if (n.type === "ConditionalExpression") return [n.consequent, n.alternate].forEach(visit);
      if (n.type === "LogicalExpression") return visit(n.right);
      if (n.type === "ArrayExpression") return n.elements.forEach(visit);
      if (n.type === "MemberExpression" && !n.computed) {
        const object = peel(n.object);
        const name = object.type === "Identifier" ? object.name : object.type === "MemberExpression" && !object.computed ? object.property?.name : undefined;
        if (name) names.add(name);
        return;
      }
      if (n.type !== "CallExpression") return;
      const fn = lastName(n.callee);
      if (fn === "and" || fn === "or" || fn === "not") return n.arguments.forEach(visit);
      if (fn && COLUMN_FIRST.has(fn)) visit(n.arguments[0]);
    };
    nodes.forEach(visit);
    if (root) names.delete(key);
    return names;
  }

  /** The object filter syntax: `{ id: 1, age: { gt: 18 }, deletedAt: { isNull: true }, OR: [...] }`. */
  private objectFilter(node: Node, pattern: NamedPattern): void {
    const props = objectProps(node);
    if (!props) throw new Unknown();
    for (const { key, value, prop } of props) {
      if (prop.type === "SpreadElement" || key === undefined || key === "RAW") throw new Unknown();
      const v = peel(value);
      if (key === "AND") {
        for (const item of v.type === "ArrayExpression" ? v.elements : [v]) this.objectFilter(item, pattern);
        continue;
      }
      if (key === "OR" || key === "NOT") {
        pattern.hasOr ||= key === "OR";
        this.call.values.push(value);
        continue;
      }
      if (v.type !== "ObjectExpression") {
        this.call.values.push(value);
        pattern.predicates.push({ column: key, op: "eq", sentAs: "param", ...(literalSql(v) ? { value: literalSql(v) } : {}) });
        continue;
      }
      for (const { key: op, value: operand } of objectProps(v) ?? []) {
        this.call.values.push(operand);
        const constant = literalSql(operand);
        if (op === "eq") pattern.predicates.push({ column: key, op: "eq", sentAs: "param", ...(constant ? { value: constant } : {}) });
        else if (op === "isNull" || op === "isNotNull") pattern.predicates.push({ column: key, op: op === "isNull" ? "is-null" : "is-not-null", sentAs: "literal" });
        else if (op && Object.hasOwn(RANGE, op)) pattern.predicates.push({ column: key, op: "range", operator: RANGE[op], sentAs: "param" });
        else if (op === "in") {
          this.call.memberships.push(operand);
          pattern.predicates.push({ column: key, op: "in", sentAs: "param" });
        } else if (op === "like" || op === "ilike") pattern.predicates.push({ column: key, op: "like", sentAs: "param", ...(op === "ilike" ? { caseInsensitive: true } : {}) });
        else if (op === "ne") pattern.predicates.push({ column: key, op: "neq", sentAs: "param" });
        else pattern.predicates.push({ column: key, op: "other", sentAs: "param" });
      }
    }
  }
}

/** The expression an arrow function returns: its body, or the argument of a lone `return`. */
function returned(fn: Node): Node {
  if (fn.body?.type !== "BlockStatement") return fn.body;
  const ret = fn.body.body.find((s: Node) => s.type === "ReturnStatement");
  if (!ret?.argument) throw new Unknown();
  return ret.argument;
}

/** `` sql`...` `` and `sql.raw(...)` splice SQL text where a value would go: the filter is not known. */
function isFragment(node: Node): boolean {
  const n = peel(node);
  if (n.type === "TaggedTemplateExpression") return true;
  return n.type === "CallExpression" && lastName(n.callee) === "raw";
}
