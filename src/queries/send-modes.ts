// How supabase-js / postgrest-js filter values reach PostgreSQL.
//
// supabase-js only builds a URL (`?reconnect_token=eq.abc&ended_at=is.null`); PostgREST turns it into
// SQL. Read in PostgREST/postgrest, src/PostgREST/Query/SqlFragment.hs, function `pgFmtFilter`:
//   - `Op` operators (neq, cs, cd, ov, sl, sr, nxr, nxl, adj) write `<col> <op> ` followed by
//     `unknownLiteral val`, and `unknownLiteral = unknownEncoder . encodeUtf8` with
//     `unknownEncoder = SQL.encoderAndParam (HE.nonNullable HE.unknown)`: a bound parameter ($n).
//   - `OpQuant` operators (eq, gt, gte, lt, lte, like, ilike, match, imatch, and their any/all forms)
//     go through the same `unknownLiteral`: bound parameters. like/ilike turn `*` into `%` first,
//     still inside the parameter.
//   - `In vals` is written as `= ANY (<array literal>)` where the array literal is again one
//     `unknownLiteral` parameter (the comment there: IN would break prepared-statement caching).
//   - `Is isVal` is spelled into the SQL text: ` IS NULL`, ` IS NOT NULL`, ` IS TRUE`, ` IS FALSE`,
//     ` IS UNKNOWN`; the source comment says IS cannot be prepared, so those values are whitelisted
//     keywords, never parameters.
//   - `IsDistinctFrom` (isdistinct) and full-text search (fts, plfts, phfts, wfts) bind parameters.
//   - `limitOffsetF` binds LIMIT and OFFSET as parameters too.
// PostgREST runs these statements as prepared statements (hasql), so after a few executions the
// plan can go generic: a partial index predicate like `status = 'accepted'` cannot be proved from
// `status = $1`. Only the IS forms (null, not null, true, false) can be proved by the planner.

import type { PredicateOp, SentAs } from "../core/types.js";

export interface PostgrestOperator {
  op: PredicateOp;
  sentAs: SentAs;
  operator?: "<" | "<=" | ">" | ">=";
  caseInsensitive?: boolean;
}

/** PostgREST filter operators by their URL name (`.filter(col, "eq", v)`, `.not(col, "eq", v)`). */
export const POSTGREST_OPERATORS: Record<string, PostgrestOperator> = {
  eq: { op: "eq", sentAs: "param" },
  neq: { op: "neq", sentAs: "param" },
  gt: { op: "range", operator: ">", sentAs: "param" },
  gte: { op: "range", operator: ">=", sentAs: "param" },
  lt: { op: "range", operator: "<", sentAs: "param" },
  lte: { op: "range", operator: "<=", sentAs: "param" },
  like: { op: "like", sentAs: "param" },
  ilike: { op: "like", sentAs: "param", caseInsensitive: true },
  match: { op: "like", sentAs: "param" },
  imatch: { op: "like", sentAs: "param", caseInsensitive: true },
  in: { op: "in", sentAs: "param" },
  cs: { op: "contains", sentAs: "param" },
  cd: { op: "contains", sentAs: "param" },
  ov: { op: "contains", sentAs: "param" },
  sl: { op: "other", sentAs: "param" },
  sr: { op: "other", sentAs: "param" },
  nxr: { op: "other", sentAs: "param" },
  nxl: { op: "other", sentAs: "param" },
  adj: { op: "other", sentAs: "param" },
  isdistinct: { op: "other", sentAs: "param" },
  fts: { op: "other", sentAs: "param" },
  plfts: { op: "other", sentAs: "param" },
  phfts: { op: "other", sentAs: "param" },
  wfts: { op: "other", sentAs: "param" },
  // `is` is handled by isFilter(): its value is a keyword written into the SQL.
};

/** supabase-js method names that are a PostgREST operator under another name. */
export const METHOD_OPERATORS: Record<string, string> = {
  eq: "eq",
  neq: "neq",
  gt: "gt",
  gte: "gte",
  lt: "lt",
  lte: "lte",
  like: "like",
  ilike: "ilike",
  likeAllOf: "like",
  likeAnyOf: "like",
  ilikeAllOf: "ilike",
  ilikeAnyOf: "ilike",
  in: "in",
  contains: "cs",
  containedBy: "cd",
  overlaps: "ov",
  rangeGt: "sr",
  rangeGte: "nxl",
  rangeLt: "sl",
  rangeLte: "nxr",
  rangeAdjacent: "adj",
  textSearch: "fts",
  isDistinct: "isdistinct",
};

/**
 * `.is(col, value)`: PostgREST writes `IS NULL` / `IS TRUE` / `IS FALSE` into the SQL text, so the
 * planner sees a literal test it can use to prove a partial index predicate.
 */
export function isFilter(value: null | boolean | "unknown" | "not_null", negated: boolean): { op: PredicateOp; value?: string; sentAs: SentAs } {
  if (value === null) return { op: negated ? "is-not-null" : "is-null", sentAs: "literal" };
  if (value === "not_null") return { op: negated ? "is-null" : "is-not-null", sentAs: "literal" };
  if (value === true || value === false) {
    // `col IS TRUE` is not `col`: PostgreSQL folds NOT (col IS TRUE) into col IS NOT TRUE, which also holds for NULL.
    return { op: "bool-test", value: `${negated ? "not " : ""}${value}`, sentAs: "literal" };
  }
  return { op: "other", sentAs: "literal" };
}

// ---------------------------------------------------------------- every client, one table

/** How one client form marks and sends the values of a query. */
export interface ClientSendMode {
  /** How a value written in the call reaches PostgreSQL. */
  values: SentAs;
  /**
   * How the SQL text marks a value: `$n` (PostgreSQL's own), `?` (numbered in order by the client),
   * each template interpolation, or none (a builder: every filter value is bound).
   */
  placeholder: "$n" | "?" | "interpolation" | "none";
  /**
   * Calls on the tag or client that splice SQL text into a template instead of binding a value
   * (`sql.raw(x)`, `Prisma.raw(x)`): where one stands, the statement is not known.
   */
  fragments?: ReadonlySet<string>;
  /** Where this is documented. */
  source: string;
}

/**
 * How each client the code walker reads sends values. The client recognizers in clients/ read this
 * table; a new client adds its row here.
 */
export const CLIENT_SEND_MODES = {
  /** supabase-js / PostgREST: eq, in, range... bound; `.is()` written into the text (see above). */
  "supabase-js": { values: "param", placeholder: "none", source: "PostgREST src/PostgREST/Query/SqlFragment.hs, pgFmtFilter" },
  /** node-postgres and pool-style clients, pg-promise: `$n` bound by the extended query protocol. */
  pg: { values: "param", placeholder: "$n", source: "node-postgres documentation, Queries: Parameterized query" },
  /** knex.raw(text, bindings): `?` is a value binding, `??` an identifier; knex numbers them for pg. */
  "knex.raw": { values: "param", placeholder: "?", source: "knex documentation, Raw Parameter Binding" },
  /**
   * A tagged `sql` template (postgres.js, Prisma `$queryRaw`, Drizzle and Kysely `sql`): every
   * interpolation is bound as a parameter, except the helpers that splice SQL text.
   */
  "sql-template": {
    values: "param",
    placeholder: "interpolation",
    fragments: new Set(["raw", "unsafe", "join", "identifier", "ref", "lit", "literal", "empty", "sql", "id"]),
    source: "postgres.js README (Queries, Dynamic queries); Prisma raw queries ($queryRaw, Prisma.sql, Prisma.raw); Drizzle sql operator (sql.raw); Kysely sql template (sql.raw, sql.ref, sql.lit)",
  },
  /**
   * Prisma Client model queries (`prisma.user.findMany({ where })`): every filter value is a bound
   * parameter, `null` is written as `IS NULL` / `IS NOT NULL`, and a value compared with an enum column
   * arrives as `CAST($n::text AS "Enum")`, which PostgreSQL does not fold to a constant even in a custom
   * plan (ColumnPredicate.castTo). Raw queries are the `sql-template` row.
   */
  prisma: {
    values: "param",
    placeholder: "none",
    source: "Prisma Client API reference (Model queries; Filter conditions and operators: equals, in, not, null); Prisma ORM upgrade guide to v4 (raw query type casts) and the enum CAST($n::text AS \"Enum\") the query engine writes for enum parameters",
  },
  /**
   * Drizzle query builder and relational queries: operator values (`eq(col, v)`, `inArray`, `between`,
   * `like`) and `sql.placeholder()` in prepared statements are bound; `isNull`/`isNotNull` are written into
   * the text; `sql.raw()` splices text.
   */
  drizzle: {
    values: "param",
    placeholder: "none",
    fragments: new Set(["raw"]),
    source: "Drizzle ORM documentation: Filters (eq, inArray, isNull, between, like), Query performance (prepare, sql.placeholder), sql operator (sql.raw)",
  },
  /**
   * Kysely: values in `where(col, op, value)` and expression builders are bound; `is null` / `is not null`
   * are written into the text as immediate values; `sql.raw`, `sql.lit`, `sql.ref` splice text.
   */
  kysely: {
    values: "param",
    placeholder: "none",
    fragments: new Set(["raw", "lit", "ref", "id", "table"]),
    source: "Kysely documentation: Getting started (where, values are parameters), API SelectQueryBuilder.where / executeTakeFirst; kysely src/parser/binary-operation-parser.ts (immediate null for is / is not)",
  },
  /**
   * A plain template literal passed as the text (`pool.query(\`... ${x}\`)`): the interpolation is
   * pasted into the text. A value there is unknown (read as a parameter); SQL pasted where a clause
   * goes leaves the statement unknown.
   */
  "text-template": { values: "param", placeholder: "interpolation", source: "ECMAScript template literals: interpolations are concatenated into the string" },
} as const satisfies Record<string, ClientSendMode>;

export type ClientSendModeName = keyof typeof CLIENT_SEND_MODES;
