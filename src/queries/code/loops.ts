// What the walker needs to know about loops: which names change from one iteration to the next,
// whether a loop's bounds are a date or number range, and what an expression refers to.
import type { AccessPattern, Location } from "../../core/types.js";
import { calleeMethod, flattenChain, isFunction, peel, SKIP_KEYS, type Node } from "./ast.js";
import type { DerivedList } from "./derived.js";

/** One enclosing loop, innermost last. */
export interface LoopFrame {
  /** `for`, `for...of`, `while`, `.forEach()`... */
  kind: string;
  /** 1-based line of the loop. */
  line: number;
  /** Its bounds are a date or number range (`hour < 24`, `day <= endDay`, `eachDayOfInterval(...)`). */
  range: boolean;
  /** Not a walk over a collection: `while`/`do...while` whose test reads no `.length`, `for (;;)`. */
  chained?: boolean;
  /** Set while walking the body: an awaited call that sent no query has been seen in it. */
  external?: boolean;
  /** It walks a collection whose length the code fixes (a literal, a constant, an enum): how to name it. */
  fixed?: string;
  /** It walks a list filled, item by item, with the results of per-item calls that send no query. */
  fromExternal?: boolean;
  /** The first awaited call in the body that sent no query, as written (`getFile()`). */
  externalCall?: string;
  /** It walks a list set in configuration, or rows fetched by an `IN` over one: how to name it. */
  config?: string;
  /** It walks the rows a query returned: that query's call site. */
  rowsFrom?: Location;
  /** A `.map()` callback's: the queries whose results it returns, gathered while its body is walked. */
  returned?: AccessPattern[];
  /** It walks what `derivedList` found: regex matches in one value, or (a subset of) one row's included relation. */
  derived?: DerivedList;
}


/** Rows a query returned, held by a variable: the query's patterns and how many loops enclosed the fetch. */
export interface RowSource {
  patterns: AccessPattern[];
  depth: number;
  /** Every set the query compares with (`id: { in: ids }`) is a configured list: how to name it. */
  config?: string;
}

const RELATIONAL = new Set(["<", "<=", ">", ">="]);

/** Every identifier an expression reads (property names of `a.b` excluded). */
export function namesIn(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) namesIn(item, out);
    return out;
  }
  if (!node || typeof node !== "object") return out;
  const n = node as Node;
  if (n.type === "Identifier") {
    out.add(n.name);
    return out;
  }
  for (const key in n) {
    const value = n[key];
    if (SKIP_KEYS.has(key) || !value || typeof value !== "object") continue;
    if ((key === "property" || key === "key") && !n.computed) continue;
    namesIn(value, out);
  }
  return out;
}

/** Whether an expression calls anything: its value may differ between two evaluations. */
export function hasCall(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasCall);
  if (!node || typeof node !== "object") return false;
  const n = node as Node;
  if (n.type === "CallExpression" || n.type === "NewExpression" || n.type === "TaggedTemplateExpression") return true;
  if (isFunction(n)) return false;
  for (const key in n) {
    const value = n[key];
    if (SKIP_KEYS.has(key) || !value || typeof value !== "object") continue;
    if (hasCall(value)) return true;
  }
  return false;
}

/** The names a binding pattern introduces: `x`, `{ a, b: c }`, `[d, ...e]`, `f = 1`. */
export function bindingNames(pattern: Node | null | undefined, out = new Set<string>()): Set<string> {
  if (!pattern) return out;
  switch (pattern.type) {
    case "Identifier":
      out.add(pattern.name);
      break;
    case "ObjectPattern":
      for (const prop of pattern.properties ?? []) bindingNames(prop.type === "RestElement" ? prop.argument : prop.value, out);
      break;
    case "ArrayPattern":
      for (const element of pattern.elements ?? []) bindingNames(element, out);
      break;
    case "AssignmentPattern":
      bindingNames(pattern.left, out);
      break;
    case "RestElement":
      bindingNames(pattern.argument, out);
      break;
    case "VariableDeclaration":
      for (const d of pattern.declarations ?? []) bindingNames(d.id, out);
      break;
  }
  return out;
}

/** Names declared or assigned anywhere inside a loop: their values change from one iteration to the next. */
export function changedIn(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) changedIn(item, out);
    return out;
  }
  if (!node || typeof node !== "object") return out;
  const n = node as Node;
  if (n.type === "VariableDeclarator") bindingNames(n.id, out);
  if (n.type === "AssignmentExpression" && n.left?.type === "Identifier") out.add(n.left.name);
  if (n.type === "AssignmentExpression" && n.left?.type !== "Identifier") bindingNames(n.left, out);
  if (n.type === "UpdateExpression" && n.argument?.type === "Identifier") out.add(n.argument.name);
  if (isFunction(n)) for (const param of n.params ?? []) bindingNames(param, out);
  for (const key in n) {
    const value = n[key];
    if (SKIP_KEYS.has(key) || !value || typeof value !== "object") continue;
    changedIn(value, out);
  }
  return out;
}

/** Whether an expression reads a `.length` or `.size`: a test over a collection. */
export function readsLength(node: Node): boolean {
  let found = false;
  const visit = (n: unknown): void => {
    if (found || !n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(visit);
    const m = n as Node;
    if (m.type === "MemberExpression" && !m.computed && (m.property?.name === "length" || m.property?.name === "size")) found = true;
    for (const key in m) {
      const value = m[key];
      if (!SKIP_KEYS.has(key) && value && typeof value === "object") visit(value);
    }
  };
  visit(node);
  return found;
}

/** `hour < 24`, `day <= endDay`, `a < b && c`: a comparison that bounds a counter or a date, not a collection's length. */
export function isRangeTest(test: Node | null | undefined): boolean {
  if (!test) return false;
  const t = peel(test);
  if (t.type === "LogicalExpression" && t.operator === "&&") return isRangeTest(t.left) || isRangeTest(t.right);
  return t.type === "BinaryExpression" && RELATIONAL.has(t.operator) && !readsLength(t);
}

/** The collection a `for` loop's test walks by index (`i < rows.length`), if any. */
export function indexedCollection(test: Node | null | undefined): Node | undefined {
  if (!test) return undefined;
  const t = peel(test);
  if (t.type !== "BinaryExpression" || !RELATIONAL.has(t.operator)) return undefined;
  for (const side of [t.left, t.right]) {
    const s = peel(side);
    if (s.type === "MemberExpression" && !s.computed && s.property?.name === "length") return s.object;
  }
  return undefined;
}

/** Date helpers and number ranges whose elements are the steps of a range: `eachDayOfInterval(...)`, `range(0, 24)`, `Array.from({ length: 24 })`. */
export function isRangeIterable(node: Node | null | undefined): boolean {
  if (!node) return false;
  const n = peel(node);
  if (n.type === "ArrayExpression" && n.elements.length === 1 && n.elements[0]?.type === "SpreadElement") return isRangeIterable(n.elements[0].argument);
  if (n.type !== "CallExpression") return false;
  const callee = peel(n.callee);
  const name = callee.type === "Identifier" ? callee.name : callee.type === "MemberExpression" && !callee.computed ? callee.property?.name : undefined;
  if (!name) return false;
  if (/^each(Minute|Hour|Day|Week|Weekend|Month|Quarter|Year)\w*$/.test(name) || name === "range" || name === "times") return true;
  // Array.from({ length: n }) and Array(n).keys()
  if (name === "from" && callee.object?.name === "Array") return peel(n.arguments[0] ?? {}).type === "ObjectExpression";
  if (name === "keys" && callee.type === "MemberExpression") {
    const inner = peel(callee.object);
    return (inner.type === "CallExpression" || inner.type === "NewExpression") && peel(inner.callee).name === "Array";
  }
  return false;
}

/** Calls whose object argument holds written values, not conditions (`.set({...})`, `.values([...])`). */
const WRITE_METHODS = new Set(["set", "values", "insert", "upsert", "onConflictDoUpdate", "doUpdateSet", "returning", "select"]);
/** Properties of a Prisma query object that hold written values or the shape of the result, not conditions. */
const WRITE_PROPERTIES = new Set(["data", "create", "update", "select", "include", "omit", "orderBy"]);

/** `a.b.c` as written, for plain identifiers and member chains; undefined otherwise. */
export function dottedName(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  const n = peel(node);
  if (n.type === "Identifier") return n.name;
  if (n.type === "ThisExpression") return "this";
  if (n.type === "MemberExpression" && !n.computed) {
    const object = dottedName(n.object);
    return object ? `${object}.${n.property?.name}` : undefined;
  }
  return undefined;
}

/**
 * Columns compared with a value for which `varies` holds, in the query's own text: `{ folderId: folder.id }`
 * (Prisma), `.eq("id", id)` / `.where("id", "=", id)` (supabase-js, Kysely), `eq(t.parentId, x)` (Drizzle).
 * Written values (`data: {...}`, `.set({...})`) are not conditions and never a key. `columns` are the
 * names as the code spells them (`inboxId`), `terms` the compared expressions as written (`inbox.inboxId`).
 */
export function keyedColumns(roots: unknown[], varies: (n: Node) => boolean): { columns: string[]; terms: string[] } {
  const out = new Set<string>();
  const terms = new Set<string>();
  const name = (k: Node | undefined): string | undefined => {
    if (!k) return undefined;
    const n = peel(k);
    if (n.type === "Identifier") return n.name;
    if ((n.type === "Literal" || n.type === "StringLiteral") && typeof n.value === "string") return n.value.split(".").pop();
    if (n.type === "MemberExpression" && !n.computed) return n.property?.name;
    return undefined;
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    const n = node as Node;
    if (isFunction(n)) return;
    if ((n.type === "Property" || n.type === "ObjectProperty") && !n.computed && WRITE_PROPERTIES.has(name(n.key) ?? "")) return;
    if ((n.type === "Property" || n.type === "ObjectProperty") && !n.computed && n.value && peel(n.value).type !== "ObjectExpression") {
      // `{ id: { gt: last } }`: the column is the enclosing field, not the operator.
      const own = name(n.key);
      const key = own && FILTER_OPERATORS.has(own) ? field : own && PAGE_PROPERTIES.has(own) ? undefined : own;
      if (key && varies(n.value)) {
        out.add(key);
        terms.add(key);
      }
    }
    if (n.type === "CallExpression") {
      const callee = peel(n.callee);
      const method = callee.type === "MemberExpression" && !callee.computed ? callee.property?.name : undefined;
      // Prisma's `upsert({ where, create, update })` has conditions beside its written values; supabase-js's `.upsert(rows)` has none.
      const written = method === "upsert" ? !hasWhere(n.arguments?.[0]) : method !== undefined && WRITE_METHODS.has(method);
      if (method && (written || (method === "update" && !hasWhere(n.arguments?.[0])))) {
        // The chain before `.set(...)` may still hold conditions; the written values are skipped.
        visit(callee.object);
        for (const arg of n.arguments ?? []) if (peel(arg).type !== "ObjectExpression" && peel(arg).type !== "ArrayExpression") visit(arg);
        return;
      }
    }
    if (n.type === "CallExpression" && n.arguments?.length >= 2) {
      const first = peel(n.arguments[0]);
      const key = first.type === "MemberExpression" || first.type === "Literal" || first.type === "StringLiteral" ? name(first) : undefined;
      if (key && n.arguments.slice(1).some((a: Node) => peel(a).type !== "ObjectExpression" && varies(a))) {
        out.add(key);
        terms.add(first.type === "MemberExpression" ? dottedName(first) ?? key : key);
      }
    }
    if ((n.type === "Property" || n.type === "ObjectProperty") && !n.computed && n.value && peel(n.value).type === "ObjectExpression") {
      const outer = field;
      const own = name(n.key);
      field = own && !FILTER_OPERATORS.has(own) ? own : outer;
      visit(n.value);
      field = outer;
      return;
    }
    for (const key in n) {
      const value = n[key];
      if (!SKIP_KEYS.has(key) && value && typeof value === "object") visit(value);
    }
  };
  let field: string | undefined;
  visit(roots);
  return { columns: [...out], terms: [...terms] };
}

/** Prisma field operators: `{ id: { gt: last } }` compares `id`. */
const FILTER_OPERATORS = new Set(["equals", "not", "in", "notIn", "lt", "lte", "gt", "gte", "contains", "startsWith", "endsWith", "has", "hasSome", "hasEvery", "mode"]);

/** Prisma paging arguments: where a page starts and how long it is, never a compared column. */
const PAGE_PROPERTIES = new Set(["cursor", "skip", "take"]);

/** Range comparisons as properties (Prisma) or methods/functions (supabase-js, Kysely, Drizzle). */
const RANGE_KEYS = new Set(["lt", "lte", "gt", "gte"]);
/** Where a page starts: Prisma `cursor`/`skip`, `offset`, supabase-js `.range(from, to)`. */
const PAGE_KEYS = new Set(["cursor", "skip", "offset", "range"]);

/**
 * Whether the query pages through a table with a value the loop carries from one page to the next:
 * Prisma `cursor: { id: last }` / `skip: n`, a range on a key (`{ id: { gt: last } }`, `.gt("id", last)`,
 * `gt(t.id, last)`, `.where("id", ">", last)`), `.offset(n)` or `.range(from, to)`. Each page is one
 * set-based query (keyset or offset pagination), not a query repeated per item.
 */
export function pagesThrough(roots: unknown[], varies: (n: Node) => boolean): boolean {
  let found = false;
  const key = (p: Node): string | undefined => (p.computed ? undefined : p.key?.name ?? p.key?.value);
  const visit = (node: unknown): void => {
    if (found || !node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as Node;
    if (isFunction(n)) return;
    if ((n.type === "Property" || n.type === "ObjectProperty") && n.value) {
      const k = key(n) ?? "";
      if ((PAGE_KEYS.has(k) || RANGE_KEYS.has(k)) && varies(n.value)) found = true;
    }
    if (n.type === "CallExpression") {
      const callee = peel(n.callee);
      const method = callee.type === "MemberExpression" && !callee.computed ? callee.property?.name : callee.type === "Identifier" ? callee.name : undefined;
      const args: Node[] = n.arguments ?? [];
      if (method && (PAGE_KEYS.has(method) || RANGE_KEYS.has(method)) && args.some((a) => varies(a))) found = true;
      // Kysely `.where("id", ">", last)`.
      const op = args[1] ? peel(args[1]) : undefined;
      if (method === "where" && op && (op.type === "Literal" || op.type === "StringLiteral") && RELATIONAL.has(String(op.value)) && args[2] && varies(args[2])) found = true;
    }
    for (const k in n) {
      const value = n[k];
      if (!SKIP_KEYS.has(k) && value && typeof value === "object") visit(value);
    }
  };
  visit(roots);
  return found;
}

/** A Prisma query object (`{ where, data }`), as opposed to supabase-js's `.update({ col: value })`. */
function hasWhere(arg: Node | undefined): boolean {
  const a = arg ? peel(arg) : undefined;
  return a?.type === "ObjectExpression" && (a.properties ?? []).some((p: Node) => !p.computed && (p.key?.name ?? p.key?.value) === "where");
}

/** `i < 3`, `attempt <= 5`: a counter bounded by a number written in the code. */
export function fixedCount(test: Node | null | undefined): string | undefined {
  if (!test) return undefined;
  const t = peel(test);
  if (t.type !== "BinaryExpression" || (t.operator !== "<" && t.operator !== "<=")) return undefined;
  const bound = peel(t.right);
  return bound.type === "Literal" && typeof bound.value === "number" && peel(t.left).type === "Identifier" ? `a count of ${bound.value} written in the code` : undefined;
}

/** Prisma nested writes: relation fields of `data` that create rows of their own (`fields: { createMany: {...} }`). */
const NESTED_WRITES = new Set(["create", "createMany", "connectOrCreate", "upsert"]);

/** Whether a Prisma create's `data` also writes related rows, which `createMany` cannot take. */
export function hasNestedWrites(roots: unknown[]): boolean {
  let found = false;
  const key = (p: Node) => (p.computed ? undefined : p.key?.name ?? p.key?.value);
  const visit = (node: unknown): void => {
    if (found || !node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as Node;
    if (isFunction(n)) return;
    if ((n.type === "Property" || n.type === "ObjectProperty") && key(n) === "data" && n.value && peel(n.value).type === "ObjectExpression") {
      for (const field of peel(n.value).properties ?? []) {
        const value = field.value ? peel(field.value) : undefined;
        if (value?.type === "ObjectExpression" && (value.properties ?? []).some((q: Node) => NESTED_WRITES.has(key(q) ?? ""))) found = true;
      }
      return;
    }
    for (const k in n) {
      const value = n[k];
      if (!SKIP_KEYS.has(k) && value && typeof value === "object") visit(value);
    }
  };
  visit(roots);
  return found;
}

/** Calls that return an aggregate (Prisma `count`, `aggregate`, `groupBy`; Drizzle `$count`). */
export const AGGREGATES = new Set(["count", "aggregate", "groupBy", "$count"]);

/** Names that hold a database client or transaction by convention. */
export const CLIENT_NAME = /^(db|tx|trx|prisma|supabase|pool|pg|knex|kysely|drizzle|sql|client|database|conn|connection)$/i;

/** Prisma calls that write one row. */
export const SINGLE_ROW = new Set(["create", "upsert"]);

/** The method of the call that sends a query (`count` of `prisma.x.count(...)`). */
export function rootMethod(roots: unknown[]): string | undefined {
  const root = roots[0] as Node | undefined;
  return root && peel(root).type === "CallExpression" ? calleeMethod(peel(root)) : undefined;
}

/**
 * A call on a database client that no recognizer read (`db.query.teams.findFirst(...)`, `tx.$queryRawUnsafe(...)`):
 * still a query, never per-item work outside the database.
 */
export function onClient(call: Node, isClient: (name: string) => boolean): boolean {
  let root = peel(call.callee);
  while (root.type === "MemberExpression" || root.type === "CallExpression") root = peel(root.type === "MemberExpression" ? root.object : root.callee);
  if (root.type === "ThisExpression") {
    const first = dottedName(call.callee)?.split(".")[1];
    return first !== undefined && CLIENT_NAME.test(first);
  }
  return root.type === "Identifier" && (CLIENT_NAME.test(root.name) || isClient(root.name));
}

/** Aggregate functions a select list may call: `count()`, `sql\`count(*)\``, Kysely `fn.count(...)`. */
const AGGREGATE_CALL = /^(count|countDistinct|sum|avg|min|max)$/;

/** Whether a builder chain's `.select(...)` returns aggregates (Drizzle `select({ n: count() })`, Kysely `fn.count`). */
export function selectsAggregate(node: Node): boolean {
  const select = flattenChain(node).calls.find((c) => c.method === "select" || c.method === "selectDistinct");
  if (!select) return false;
  let found = false;
  const visit = (n: unknown): void => {
    if (found || !n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(visit);
    const m = n as Node;
    if (m.type === "CallExpression") {
      const callee = peel(m.callee);
      const name = callee.type === "Identifier" ? callee.name : callee.type === "MemberExpression" && !callee.computed ? callee.property?.name : undefined;
      if (name && AGGREGATE_CALL.test(name)) found = true;
    }
    if (m.type === "TaggedTemplateExpression" && m.quasi.quasis.some((q: Node) => /\b(count|sum|avg)\s*\(/i.test(q.value?.raw ?? ""))) found = true;
    for (const key in m) {
      const value = m[key];
      if (!SKIP_KEYS.has(key) && value && typeof value === "object") visit(value);
    }
  };
  visit(select.args);
  return found;
}

/** Names of imported configuration objects by convention (`import { env } from "./env.mjs"`). */
const CONFIG_OBJECT = /^(env|config|settings)$/;

/**
 * How a message names the configuration an expression reads, or undefined: `process.env.X`, `env.X` of an
 * imported configuration object, or a name already bound to one (`configured`), through `?? []`,
 * `.split(",")`, `.map(...)`, `.filter(...)`. A list set per deployment, not grown by the data.
 */
export function configSource(node: Node | null | undefined, configured: ReadonlyMap<string, string>, imported: (name: string) => boolean): string | undefined {
  if (!node) return undefined;
  const n = peel(node);
  switch (n.type) {
    case "Identifier":
      return configured.get(n.name);
    case "MemberExpression": {
      if (n.computed) return undefined;
      const object = peel(n.object);
      if (object.type === "MemberExpression" && !object.computed && peel(object.object).name === "process" && object.property?.name === "env") return `\`process.env.${n.property?.name}\``;
      if (object.type === "Identifier" && CONFIG_OBJECT.test(object.name) && imported(object.name) && !configured.has(object.name)) return `\`${object.name}.${n.property?.name}\``;
      return undefined;
    }
    case "LogicalExpression":
      return n.operator === "??" || n.operator === "||" ? configSource(n.left, configured, imported) : undefined;
    case "AwaitExpression":
      return configSource(n.argument, configured, imported);
    case "CallExpression": {
      const callee = peel(n.callee);
      const method = callee.type === "MemberExpression" && !callee.computed ? callee.property?.name : undefined;
      return method && CONFIG_LIST_METHODS.has(method) ? configSource(callee.object, configured, imported) : undefined;
    }
    default:
      return undefined;
  }
}

/** Methods that turn a configured value into a list no longer than it (`"a,b".split(",")`, `.map(trim)`). */
const CONFIG_LIST_METHODS = new Set(["split", "map", "filter", "trim", "slice"]);

/**
 * For a test over the result of a query (`if (result.count === 0)`, `if (!row)`, `if (found)`): whether the
 * branch taken is the one where the query found nothing (`missing`) or found rows. Undefined for a test that
 * says neither (a comparison with a value).
 */
export function testsMissing(test: Node, names: ReadonlySet<string>): boolean | undefined {
  const t = peel(test);
  const reads = (n: Node) => [...namesIn(n)].some((name) => names.has(name));
  if (!reads(t)) return undefined;
  if (t.type === "UnaryExpression" && t.operator === "!") {
    const inner = testsMissing(t.argument, names);
    return inner === undefined ? undefined : !inner;
  }
  if (t.type === "Identifier" || (t.type === "MemberExpression" && !t.computed)) return false;
  if (t.type === "BinaryExpression") {
    const zeroOrNull = (n: Node) => {
      const v = peel(n);
      return (v.type === "Literal" && (v.value === 0 || v.value === null)) || (v.type === "Identifier" && v.name === "undefined") || v.type === "NullLiteral";
    };
    const side = zeroOrNull(t.right) ? t.left : zeroOrNull(t.left) ? t.right : undefined;
    if (!side || !reads(side)) return undefined;
    if (t.operator === "===" || t.operator === "==") return true;
    if (t.operator === "!==" || t.operator === "!=" || t.operator === ">") return false;
  }
  return undefined;
}

/** A Prisma `upsert` whose `update` is `{}`: an existing row is kept as it is, only a missing one is created. */
export function keepsExisting(roots: unknown[]): boolean {
  const root = roots[0] ? peel(roots[0] as Node) : undefined;
  const arg = root?.type === "CallExpression" ? peel(root.arguments?.[0] ?? {}) : undefined;
  if (arg?.type !== "ObjectExpression") return false;
  const update = (arg.properties ?? []).find((p: Node) => !p.computed && (p.key?.name ?? p.key?.value) === "update");
  return !!update && peel(update.value).type === "ObjectExpression" && (peel(update.value).properties ?? []).length === 0;
}

/**
 * The fields a Prisma `upsert`'s `update` object sets, as the code names them, and whether any value it
 * writes changes per item. Undefined when `update` is not an object literal the walker can read (a spread,
 * a variable): then which columns it sets is unknown.
 */
export function upsertUpdate(roots: unknown[], varies: (n: Node) => boolean): { fields: string[]; perRow: boolean } | undefined {
  const root = roots[0] ? peel(roots[0] as Node) : undefined;
  const arg = root?.type === "CallExpression" ? peel(root.arguments?.[0] ?? {}) : undefined;
  if (arg?.type !== "ObjectExpression") return undefined;
  const update = (arg.properties ?? []).find((p: Node) => !p.computed && (p.key?.name ?? p.key?.value) === "update");
  const value = update ? peel(update.value) : undefined;
  if (value?.type !== "ObjectExpression") return undefined;
  const fields: string[] = [];
  let perRow = false;
  for (const property of value.properties ?? []) {
    const name = property.computed ? undefined : property.key?.name ?? property.key?.value;
    if (typeof name !== "string" || property.type === "SpreadElement" || property.type === "RestElement") return undefined;
    fields.push(name);
    if (varies(property.value)) perRow = true;
  }
  return { fields, perRow };
}


/**
 * An `if` test over the result of a query sent earlier in the same iteration (`rows` bound at loop depth
 * `depth`): that query's line, and whether the branch taken is the one where it found nothing.
 */
export function readBranch(test: Node, rows: ReadonlyMap<string, RowSource>, depth: number): { line: number; missing: boolean } | undefined {
  if (depth === 0) return undefined;
  const names = new Set<string>();
  let line: number | undefined;
  for (const name of namesIn(test)) {
    const source = rows.get(name);
    if (source && source.depth === depth && source.patterns[0]) {
      names.add(name);
      line ??= source.patterns[0].location.line;
    }
  }
  const missing = line === undefined ? undefined : testsMissing(test, names);
  return line === undefined || missing === undefined ? undefined : { line, missing };
}

/**
 * The fields an UPDATE's object literal writes, split: `shifts` are the row's own column moved by an
 * amount the loop does not change (`col: item.col - 1`, `col: { increment: n }`), the same SQL
 * `SET col = col - 1` for every row; `perRow` says whether any other written value depends on the loop.
 * Undefined when the values are not an object literal.
 */
export function shiftedWrites(
  setValues: Node[],
  dependsOnLoop: (n: Node) => boolean,
  mayOmit: (n: Node) => boolean = () => false,
): { shifts: string[]; writes: string[]; perRow: boolean; up: boolean; omittable: string[] } | undefined {
  const shifts: string[] = [];
  let up = true;
  const writes: string[] = [];
  const omittable: string[] = [];
  let perRow = false;
  for (const value of setValues) {
    const object = peel(value);
    if (object.type !== "ObjectExpression") return undefined;
    for (const prop of object.properties as Node[]) {
      const key = prop.type === "Property" && !prop.computed ? (prop.key?.name ?? prop.key?.value) : undefined;
      if (typeof key !== "string") {
        if (dependsOnLoop(prop)) perRow = true;
        // `...(c ? { a } : {})`, `...(c && { a })`: each key is written on some items and left out on others.
        const spread = conditionalKeys(prop);
        writes.push(...spread.all);
        omittable.push(...spread.omitted);
        continue;
      }
      writes.push(key);
      if (mayOmit(prop.value)) omittable.push(key);
      const v = peel(prop.value);
      const shift = shiftSign(key, v, dependsOnLoop);
      if (shift) {
        shifts.push(key);
        if (shift === "-") up = false;
      } else if (dependsOnLoop(v)) perRow = true;
    }
  }
  return { shifts, writes, perRow, up, omittable };
}

/**
 * The keys of a conditional spread's object literals (`...(c ? { a: 1 } : {})`, `...(c && { a })`), and
 * those some branch leaves out.
 */
function conditionalKeys(prop: Node): { all: string[]; omitted: string[] } {
  if (prop.type !== "SpreadElement") return { all: [], omitted: [] };
  const arg = peel(prop.argument);
  const branches = arg.type === "ConditionalExpression" ? [arg.consequent, arg.alternate] : arg.type === "LogicalExpression" && arg.operator === "&&" ? [arg.right, undefined] : [];
  const keysOf = (b: Node | undefined): string[] => {
    const o = b ? peel(b) : undefined;
    if (o?.type !== "ObjectExpression") return [];
    return (o.properties ?? []).map((p: Node) => (p.type === "Property" && !p.computed ? (p.key?.name ?? p.key?.value) : undefined)).filter((k: unknown): k is string => typeof k === "string");
  };
  const sets = branches.map(keysOf);
  const all = [...new Set(sets.flat())];
  return { all, omitted: all.filter((k) => sets.some((set) => !set.includes(k))) };
}

/** `item.key ± amount` or `{ increment | decrement: amount }`, with an amount the loop does not change. */
function shiftSign(key: string, v: Node, dependsOnLoop: (n: Node) => boolean): "+" | "-" | undefined {
  if (v.type === "BinaryExpression" && (v.operator === "+" || v.operator === "-")) {
    const left = peel(v.left);
    return left.type === "MemberExpression" && !left.computed && left.property?.name === key && !dependsOnLoop(v.right) ? v.operator : undefined;
  }
  if (v.type === "ObjectExpression" && v.properties.length === 1) {
    const p = v.properties[0];
    const name = p.key?.name ?? p.key?.value;
    if ((name === "increment" || name === "decrement") && !dependsOnLoop(p.value)) return name === "increment" ? "+" : "-";
  }
  return undefined;
}

/**
 * Every field of a written object set from a row a query created before the loop
 * (`modelId: createdModel.id`, Drizzle `.values({ teamId: team.id })`), in source order: the field's name
 * as written and the name holding the created row. `created` answers for a name that holds such a row.
 * Nested functions are not searched: they run elsewhere.
 */
export function createdParentFields(roots: unknown[], created: (name: string) => boolean): Array<{ field: string; holder: string }> {
  const out: Array<{ field: string; holder: string }> = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!node || typeof node !== "object") return;
    const n = node as Node;
    if (isFunction(n)) return;
    if ((n.type === "Property" || n.type === "ObjectProperty") && !n.computed && n.value) {
      const value = peel(n.value);
      const field = n.key?.name ?? n.key?.value;
      if (typeof field === "string" && value.type === "MemberExpression" && !value.computed && peel(value.object).type === "Identifier") {
        const holder = peel(value.object).name as string;
        if (created(holder)) out.push({ field, holder });
      }
    }
    for (const key in n) {
      const value = n[key];
      if (SKIP_KEYS.has(key) || !value || typeof value !== "object") continue;
      visit(value);
    }
  };
  visit(roots);
  return out;
}
