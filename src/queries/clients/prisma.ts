// Prisma Client: `prisma.<model>.<operation>({ where, orderBy, take, include, select, ... })`, also on a
// transaction client (`$transaction(async (tx) => tx.user.findMany(...))`) and an extended client
// (`prisma.$extends(...)`). Patterns are in Prisma's vocabulary (model accessor, field names) and are mapped
// to tables and columns by declared-names.ts. Raw SQL (`$queryRaw`, `$executeRaw`, `$queryRawUnsafe`) is
// read by sql-in-code.ts. Sources: Prisma Client API reference (Model queries, Filter conditions and
// operators, Relation filters, include, select, orderBy, relationLoadStrategy); how values are sent is
// CLIENT_SEND_MODES.prisma in ../send-modes.ts.
import type { ColumnPredicate, OrderTerm, QueryKind } from "../../core/types.js";
import { literalString, peel, type Node } from "../code/ast.js";
import { isNullLiteral, literalSql, newPattern, objectProps, propertyOf } from "./build.js";
import type { CodeContext, PatternBase, QueryCall, QueryClient } from "./client.js";
import type { NamedPattern } from "./declared-names.js";

/** Model operations that read or write rows, with the statement each sends and whether it wants one row. */
const OPERATIONS: Record<string, { kind: QueryKind; one: boolean; aggregate?: true }> = {
  findMany: { kind: "select", one: false },
  findFirst: { kind: "select", one: true },
  findFirstOrThrow: { kind: "select", one: true },
  findUnique: { kind: "select", one: true },
  findUniqueOrThrow: { kind: "select", one: true },
  // An aggregate returns one row: no rows are sent back for each match.
  count: { kind: "select", one: true, aggregate: true },
  aggregate: { kind: "select", one: true, aggregate: true },
  groupBy: { kind: "select", one: false, aggregate: true },
  update: { kind: "update", one: true },
  updateMany: { kind: "update", one: false },
  delete: { kind: "delete", one: true },
  deleteMany: { kind: "delete", one: false },
  upsert: { kind: "upsert", one: true },
  create: { kind: "insert", one: true },
  createMany: { kind: "insert", one: false },
};

/** Receivers that hold a Prisma client or a transaction client: `prisma`, `this.prisma`, `tx`, `db`. */
const RECEIVER = /prisma|^tx$|^trx$|^txn$|^db$|^client$|^transaction$/i;

/** Keys of a scalar field's filter object (Prisma Client API reference, "Filter conditions and operators"). */
const SCALAR_FILTERS = new Set([
  "equals", "in", "notIn", "lt", "lte", "gt", "gte", "not", "contains", "startsWith", "endsWith", "mode", "search",
  "has", "hasSome", "hasEvery", "isEmpty", "path", "string_contains", "string_starts_with", "string_ends_with",
  "array_contains", "array_starts_with", "array_ends_with", "isSet",
]);
const RELATION_FILTERS = new Set(["some", "every", "none", "is", "isNot"]);
/**
 * Json field filters: with `path`, `equals` and the others compare the value at that path (`payload #> '{a}'`),
 * not the column; without it, `string_*` / `array_*` test the document's content. Neither is a comparison of the
 * column a btree key on it could serve (Prisma docs, "Working with Json fields", filtering on object property).
 */
const JSON_FILTERS = new Set(["path", "string_contains", "string_starts_with", "string_ends_with", "array_contains", "array_starts_with", "array_ends_with"]);

/** Names that hold a filter object rather than a value (`intervalFilter`, `dateRange`, `whereClause`). */
const FILTER_NAME = /(filter|filters|range|interval|window|condition|conditions|clause|where)$/i;

/** Thrown when a part of the call that decides the query is not written out (a variable `where`). */
class Unknown extends Error {}

/** `new PrismaClient()`, `prisma.$extends(...)`: names bound to these are Prisma clients. */
function isClientFactory(node: Node): boolean {
  const n = node.type === "AwaitExpression" ? peel(node.argument) : node;
  if (n.type !== "CallExpression" && n.type !== "NewExpression") return false;
  const callee = peel(n.callee);
  const name = callee.type === "Identifier" ? callee.name : callee.type === "MemberExpression" && !callee.computed ? callee.property?.name : "";
  return name === "PrismaClient" || name === "$extends";
}

function isReceiver(node: Node, ctx: CodeContext): boolean {
  let n = peel(node);
  if (n.type === "AwaitExpression") n = peel(n.argument);
  if (n.type === "Identifier") return RECEIVER.test(n.name) || ctx.boundToClient(n.name);
  if (n.type === "MemberExpression" && !n.computed) return n.property?.name !== "query" && RECEIVER.test(n.property?.name ?? "");
  return isClientFactory(n);
}

export const prismaClient: QueryClient = {
  mayQuery: /\.(find(Many|First|Unique)\w*|aggregate|groupBy|updateMany|deleteMany|upsert|createMany|count|update|delete|create)\s*\(/,
  isClientFactory,

  call(node: Node, ctx: CodeContext): QueryCall | undefined {
    const callee = peel(node.callee);
    if (callee.type !== "MemberExpression" || callee.computed) return undefined;
    const name = callee.property?.name;
    if (typeof name !== "string" || !Object.hasOwn(OPERATIONS, name)) return undefined;
    const operation = OPERATIONS[name];
    const accessor = peel(callee.object);
    if (accessor.type !== "MemberExpression" || accessor.computed) return undefined;
    const model: string | undefined = accessor.property?.name;
    if (!model || model.startsWith("$") || !isReceiver(accessor.object, ctx)) return undefined;
    const args = node.arguments[0] ? peel(node.arguments[0]) : undefined;
    const call: QueryCall = { patterns: [], values: [], setValues: [], memberships: [] };
    if (args && args.type !== "ObjectExpression") {
      call.values.push(args);
      return call;
    }
    const reader = new CallReader(model, ctx.base(ctx.location(accessor.property.start)), call, (name) => ctx.localObject?.(name), ctx);
    try {
      reader.read(args, operation);
    } catch (error) {
      if (!(error instanceof Unknown)) throw error;
      call.patterns = [];
    }
    return call;
  },
};

class CallReader {
  constructor(
    private readonly model: string,
    private readonly base: PatternBase,
    private readonly call: QueryCall,
    /** The object literal a local `const` holds, for filters written as `{ viewedAt: range }` or `...filter`. */
    private readonly localObject: (name: string) => Node | undefined = () => undefined,
    /** What the walker knows of the names in scope: parameters that may be undefined, `??` defaults. */
    private readonly names: Pick<CodeContext, "mayBeUndefined" | "defaultString" | "staticString"> = { staticString: () => undefined },
  ) {}

  /**
   * A value that may be `undefined` when the query is sent: an optional parameter with no default. Prisma
   * leaves out a filter whose value is undefined (Prisma Client docs, "Null and undefined"), so the query
   * also runs without it.
   */
  private mayBeUndefined(node: Node): boolean {
    const n = peel(node);
    return n.type === "Identifier" && (this.names.mayBeUndefined?.(n.name) ?? false);
  }

  /** The string a sort key or direction holds: a literal, a constant, or a `const x = y ?? "createdAt"` default. */
  private text(node: Node | undefined): string | undefined {
    if (!node) return undefined;
    const n = peel(node);
    const known = literalString(n) ?? this.names.staticString(n);
    if (known !== undefined) return known;
    return n.type === "Identifier" ? this.names.defaultString?.(n.name) : undefined;
  }

  /** An identifier bound to a local const object literal, resolved; anything else as it is. */
  private resolved(node: Node): Node {
    const n = peel(node);
    return n.type === "Identifier" ? this.localObject(n.name) ?? n : n;
  }

  read(args: Node | undefined, operation: { kind: QueryKind; one: boolean; aggregate?: true }): void {
    const root = this.pattern(operation.kind, []);
    root.limited = operation.one;
    if (operation.aggregate) root.countsAll = true;
    if (!args) return;
    // One query per level of include/select by default; one statement with lateral joins under "join".
    const via = literalString(propertyOf(args, "relationLoadStrategy")) === "join" ? "eq" : "in";
    for (const { key, value } of objectProps(args) ?? []) {
      if (key === undefined) continue;
      if (key === "data" || key === "create" || key === "update") {
        this.call.values.push(value);
        if (key !== "create") this.call.setValues.push(value);
      }
      if (key === "data" && operation.kind === "insert" && peel(value).type !== "ObjectExpression") this.call.memberships.push(value);
    }
    this.readArgs(args, root, [], via);
  }

  /** where, orderBy, take, cursor, include and select of one level. */
  private readArgs(args: Node, pattern: NamedPattern, path: string[], via: "in" | "eq"): void {
    const where = propertyOf(args, "where");
    if (where) this.where(where, pattern, path, false);
    const orderBy = propertyOf(args, "orderBy");
    if (orderBy) pattern.orderBy = this.orderBy(orderBy);
    const take = propertyOf(args, "take");
    if (take) {
      pattern.limited = true;
      this.call.values.push(take);
    }
    const cursor = propertyOf(args, "cursor");
    if (cursor) {
      // Cursor pagination starts at the cursor row: its fields are compared with the cursor's values.
      for (const { key, value } of objectProps(cursor) ?? []) {
        if (key === undefined) throw new Unknown();
        pattern.predicates.push({ column: key, op: "range", operator: ">=", sentAs: "param" });
        this.call.values.push(value);
      }
    }
    for (const key of ["include", "select"]) {
      const selection = propertyOf(args, key);
      if (selection) this.selection(selection, path, via);
    }
  }

  private pattern(kind: QueryKind, path: string[], via?: "in" | "eq"): NamedPattern {
    const pattern: NamedPattern = newPattern(this.model, kind, this.base, "prisma");
    pattern.declaredNames = { client: "prisma", path, ...(via ? { via } : {}) };
    this.call.patterns.push(pattern);
    return pattern;
  }

  /**
   * `include: { posts: true }`, `select: { posts: { where, orderBy } }`, `_count: { select: { posts: true } }`:
   * each relation is read by its relation scalar. A scalar field in `select` is offered too and dropped
   * when the names are resolved, since only the schema tells the two apart.
   */
  private selection(node: Node, path: string[], via: "in" | "eq"): void {
    for (const { key, value } of objectProps(node) ?? []) {
      if (key === undefined) continue;
      const v = peel(value);
      if (key === "_count") {
        const counted = propertyOf(v, "select");
        // The counts are one grouped subquery joined to the parent rows.
        for (const c of objectProps(counted) ?? []) {
          if (c.key === undefined || isFalse(c.value)) continue;
          const child = this.pattern("select", [...path, c.key], "eq");
          const where = propertyOf(c.value, "where");
          if (where) this.where(where, child, [...path, c.key], false);
        }
        continue;
      }
      if (isFalse(v)) continue;
      const child = this.pattern("select", [...path, key], via);
      if (v.type === "ObjectExpression") this.readArgs(v, child, [...path, key], via);
    }
  }

  private where(node: Node, pattern: NamedPattern, path: string[], conditional: boolean): void {
    const props = objectProps(this.resolved(node));
    if (!props) throw new Unknown();
    for (const { key, value, prop } of props) {
      if (prop.type === "SpreadElement") {
        this.spread(value, pattern, path);
        continue;
      }
      if (key === undefined) throw new Unknown();
      const v = this.resolved(value);
      if (key === "AND") {
        for (const item of v.type === "ArrayExpression" ? v.elements : [v]) if (item) this.where(item, pattern, path, conditional);
        continue;
      }
      if (key === "OR" || key === "NOT") {
        // Not split into ANDed terms: the values still count for the loop analysis.
        if (key === "OR") pattern.hasOr = true;
        this.call.values.push(value);
        continue;
      }
      if (v.type === "Identifier" && v.name === "undefined") continue;
      // `kind: kinds.length > 0 ? { in: kinds } : undefined`: the filter is sent on some calls only.
      const given = definedBranch(v);
      if (given) {
        const g = this.resolved(given);
        if (g.type === "ObjectExpression") this.objectFilter(key, g, pattern, path, true);
        else this.scalar(pattern, key, g, "equals", true, false);
        continue;
      }
      if (v.type === "ObjectExpression") {
        this.objectFilter(key, v, pattern, path, conditional);
        continue;
      }
      // A name that by its own name holds a filter object (`intervalFilter`, `dateRange`) the reader could not
      // resolve: some condition on the column, not an equality.
      if (v.type === "Identifier" && FILTER_NAME.test(v.name)) {
        this.call.values.push(v);
        pattern.predicates.push({ column: key, op: "other", sentAs: "param", ...(conditional ? { conditional: true } : {}) });
        continue;
      }
      this.scalar(pattern, key, v, "equals", conditional, false);
    }
  }

  /** `...(cond ? { a: x } : {})`, `...(cond && { a: x })`: the filters apply on some code paths. */
  private spread(value: Node, pattern: NamedPattern, path: string[]): void {
    const v = this.resolved(value);
    if (v.type === "ConditionalExpression") {
      for (const branch of [v.consequent, v.alternate]) this.where(branch, pattern, path, true);
      return;
    }
    if (v.type === "LogicalExpression" && v.operator === "&&") {
      this.where(v.right, pattern, path, true);
      return;
    }
    if (v.type === "ObjectExpression") return this.where(v, pattern, path, false);
    throw new Unknown();
  }

  private objectFilter(key: string, v: Node, pattern: NamedPattern, path: string[], conditional: boolean): void {
    const operators = this.operatorSpreads(v);
    if (operators) {
      // `{ gte: a, ...(cut ? { lt: b } : { lte: b }) }`: the operators outside the spread always apply, the
      // spread's on some code paths only.
      const insensitive = literalString(propertyOf(v, "mode")) === "insensitive";
      for (const { op, value, branch } of operators) if (op !== "mode") this.scalar(pattern, key, peel(value), op, conditional || branch, insensitive);
      return;
    }
    const props = objectProps(v) ?? [];
    const keys = props.map((p) => p.key);
    const named = props.filter((p) => p.prop.type !== "SpreadElement").map((p) => p.key);
    if (named.length < props.length && named.length > 0 && named.every((k) => k !== undefined && SCALAR_FILTERS.has(k))) {
      // Operators beside a spread the reader cannot follow: some condition on the column, not an equality.
      for (const { value } of props) this.call.values.push(value);
      pattern.predicates.push({ column: key, op: "other", sentAs: "param", ...(conditional ? { conditional: true } : {}) });
      return;
    }
    if (keys.length > 0 && keys.every((k) => k !== undefined && SCALAR_FILTERS.has(k))) {
      if (keys.some((k) => JSON_FILTERS.has(k!))) {
        for (const { value } of props) this.call.values.push(value);
        pattern.predicates.push({ column: key, op: "other", sentAs: "param", ...(conditional ? { conditional: true } : {}) });
        return;
      }
      const insensitive = literalString(propertyOf(v, "mode")) === "insensitive";
      for (const { key: op, value } of props) if (op !== "mode") this.scalar(pattern, key, peel(value), op!, conditional, insensitive);
      return;
    }
    if (keys.length > 0 && keys.every((k) => k !== undefined && RELATION_FILTERS.has(k))) {
      // `is` narrows this table by its foreign key (`"fkId" IN (SELECT id FROM related WHERE ...)`);
      // `some`, `every`, `none` and `isNot` narrow the related table, not this one.
      for (const { key: op, value } of props) {
        // `every` and `isNot` hold the negation of their conditions: only the relation's key is used.
        const from = this.call.patterns.length;
        // `some`/`none`/`every` send an uncorrelated `id [NOT] IN (SELECT fk FROM related WHERE ... AND fk IS NOT
        // NULL)` (Prisma's query engine since it dropped the join inside relation filters). The planner runs a
        // `some` (IN) as a semi-join, which may probe the related table by its foreign key once per row of this
        // one when this side is pinned (query-index-joins.ts); `none` (NOT IN) stays a hashed subplan that reads
        // the related rows by the inner filters alone.
        const child = this.pattern("select", [...path, key], op === "is" ? "eq" : undefined);
        if ((op === "some" || op === "is") && child.declaredNames) child.declaredNames.filter = op;
        const inner = peel(value);
        if ((op === "some" || op === "none" || op === "is") && inner.type === "ObjectExpression") this.where(inner, child, [...path, key], false);
        else this.call.values.push(value);
        if (op === "is" && inner.type === "ObjectExpression") this.relationFilter(pattern, key, conditional, this.call.patterns.slice(from));
      }
      return;
    }
    // A compound unique key: `email_teamId: { email, teamId }`.
    const parts = key.split("_");
    if (parts.length > 1 && keys.every((k) => k !== undefined && parts.includes(k))) {
      for (const { key: field, value } of props) this.scalar(pattern, field!, peel(value), "equals", conditional, false);
      return;
    }
    // A to-one relation filtered directly: `author: { email: x }` is `author: { is: { email: x } }`.
    const from = this.call.patterns.length;
    const child = this.pattern("select", [...path, key], "eq");
    if (child.declaredNames) child.declaredNames.filter = "is";
    this.where(v, child, [...path, key], false);
    this.relationFilter(pattern, key, conditional, this.call.patterns.slice(from));
  }

  /**
   * A scalar filter object that spreads more operators in (`{ gte: a, ...(c ? { lt: b } : { lte: b }) }`):
   * every operator with whether it holds on some code paths only; undefined when the object has no spread
   * or holds anything but scalar filter operators.
   */
  private operatorSpreads(v: Node): Array<{ op: string; value: Node; branch: boolean }> | undefined {
    const props = objectProps(v);
    if (!props || !props.some((p) => p.prop.type === "SpreadElement")) return undefined;
    const out: Array<{ op: string; value: Node; branch: boolean }> = [];
    const add = (node: Node, branch: boolean): boolean => {
      const inner = objectProps(this.resolved(node));
      if (!inner) return false;
      for (const { key, value, prop } of inner) {
        if (prop.type === "SpreadElement") return false;
        if (key === undefined || !SCALAR_FILTERS.has(key) || JSON_FILTERS.has(key)) return false;
        out.push({ op: key, value, branch });
      }
      return true;
    };
    for (const { key, value, prop } of props) {
      if (prop.type !== "SpreadElement") {
        if (key === undefined || !SCALAR_FILTERS.has(key) || JSON_FILTERS.has(key)) return undefined;
        out.push({ op: key, value, branch: false });
        continue;
      }
      const s = this.resolved(value);
      const ok =
        s.type === "ConditionalExpression"
          ? [s.consequent, s.alternate].every((b: Node) => add(b, true))
          : s.type === "LogicalExpression" && s.operator === "&&"
            ? add(s.right, true)
            : add(s, false);
      if (!ok) return undefined;
    }
    return out;
  }

  /**
   * A to-one relation filter on `field`: Prisma sends it as `("fkId") IN (SELECT "id" FROM related WHERE ...)`,
   * an IN on this table's foreign key, which declared-names.ts resolves to the FK's columns when the
   * subquery's own filters (`related`: the patterns read from it, nested relations included) are selective
   * (Prisma Client API reference, "Relation filters").
   */
  private relationFilter(pattern: NamedPattern, field: string, conditional: boolean, related: NamedPattern[]): void {
    (pattern.relationFilters ??= []).push({ field, related, ...(conditional ? { conditional: true } : {}) });
  }

  /** One scalar filter operator on a field. Values are bound; `null` is written as IS [NOT] NULL. */
  private scalar(pattern: NamedPattern, field: string, value: Node, op: string, conditional: boolean, insensitive: boolean): void {
    if (value.type === "Identifier" && value.name === "undefined") return;
    if (this.mayBeUndefined(value)) conditional = true;
    const push = (p: Omit<ColumnPredicate, "column" | "sentAs"> & { sentAs?: ColumnPredicate["sentAs"] }) => {
      const predicate: ColumnPredicate = { column: field, sentAs: "param", ...p };
      if (conditional) predicate.conditional = true;
      if (insensitive && predicate.op !== "is-null" && predicate.op !== "is-not-null") predicate.caseInsensitive = true;
      pattern.predicates.push(predicate);
    };
    if (!isNullLiteral(value)) this.call.values.push(value);
    const constant = literalSql(value);
    switch (op) {
      case "equals":
        if (isNullLiteral(value)) return push({ op: "is-null", sentAs: "literal" });
        if (insensitive) return push({ op: "like" });
        return push({ op: "eq", ...(constant ? { value: constant } : {}) });
      case "in":
        this.call.memberships.push(value);
        return push({ op: "in" });
      case "lt":
      case "lte":
      case "gt":
      case "gte":
        return push({ op: "range", operator: ({ lt: "<", lte: "<=", gt: ">", gte: ">=" } as const)[op], ...(constant ? { value: constant } : {}) });
      case "not":
        if (isNullLiteral(value)) return push({ op: "is-not-null", sentAs: "literal" });
        return push({ op: value.type === "ObjectExpression" ? "other" : "neq" });
      case "startsWith":
        return push({ op: insensitive ? "like" : "like-prefix" });
      case "contains":
      case "endsWith":
        return push({ op: "like" });
      case "has":
      case "hasSome":
      case "hasEvery":
        return push({ op: "contains" });
      default:
        return push({ op: "other" });
    }
  }

  private orderBy(node: Node): OrderTerm[] {
    const n = peel(node);
    const items = n.type === "ArrayExpression" ? n.elements : [n];
    const terms: OrderTerm[] = [];
    for (const item of items) {
      const props = objectProps(item);
      // A sort order the code computes, or one by a relation or aggregate: the terms after it cannot be indexed either.
      if (!props) return terms;
      for (const { key: named, value, prop } of props) {
        const v = peel(value);
        // `{ [column]: direction }` with `const column = orderBy?.column ?? "createdAt"`: the default order.
        const key = named ?? (prop.type === "Property" && prop.computed ? this.text(prop.key) : undefined);
        const direction = this.text(v) ?? literalString(propertyOf(v, "sort"));
        if (key === undefined || (direction !== "asc" && direction !== "desc")) return terms;
        if (v.type === "ObjectExpression" && objectProps(v)!.some((p) => p.key !== "sort" && p.key !== "nulls")) return terms;
        const nulls = literalString(propertyOf(v, "nulls"));
        terms.push({ column: key, descending: direction === "desc", nullsFirst: nulls === "first" ? true : nulls === "last" ? false : null });
      }
    }
    return terms;
  }
}

/** The other branch of `c ? x : undefined` (or `c ? undefined : x`), or undefined for any other value. */
function definedBranch(node: Node): Node | undefined {
  if (node.type !== "ConditionalExpression") return undefined;
  const isUndefined = (n: Node) => {
    const p = peel(n);
    return p.type === "Identifier" && p.name === "undefined";
  };
  if (isUndefined(node.alternate) && !isUndefined(node.consequent)) return peel(node.consequent);
  if (isUndefined(node.consequent) && !isUndefined(node.alternate)) return peel(node.alternate);
  return undefined;
}

function isFalse(node: Node): boolean {
  const n = peel(node);
  return n.type === "Literal" && n.value === false;
}
