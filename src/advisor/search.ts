// Operator searches: the clauses and orderings only a GIN, GiST, HNSW or IVFFlat index serves, through
// the operator class of its key.
//
// - pg_trgm (F.35 in the PostgreSQL documentation): gin_trgm_ops and gist_trgm_ops index `LIKE`, `ILIKE`,
//   `~`, `~*`, `=`, and the similarity operators `%`, `%>` (`v <% col`) and `%>>` (`v <<% col`), with any
//   pattern, bound as a parameter or not; gist_trgm_ops also returns rows in `col <-> v` order. The
//   functions `similarity()` and `word_similarity()` are no operators: no index serves them.
// - pgvector (its README, "Indexing"): HNSW and IVFFlat return rows in distance order for
//   `ORDER BY col <op> v LIMIT k` when the key's operator class has that operator: `<->` vector_l2_ops,
//   `<#>` vector_ip_ops, `<=>` vector_cosine_ops, `<+>` vector_l1_ops (HNSW only); halfvec_* for halfvec,
//   sparsevec_* (HNSW only) for sparsevec.
import type { AccessPattern, ColumnPredicate, Index, IndexKey, OrderTerm, Schema, Table } from "../core/types.js";
import { targetOfPredicate } from "./predicates.js";
import { keyProblem } from "./index-ddl.js";

const TRIGRAM_OPCLASSES = new Set(["gin_trgm_ops", "gist_trgm_ops"]);
const VECTOR_OPS: Record<string, string> = { "<->": "l2", "<#>": "ip", "<=>": "cosine", "<+>": "l1" };

function keyTarget(key: IndexKey): string | null {
  return targetOfPredicate(key);
}

function columnType(table: Table, t: { column?: string }): string | undefined {
  return t.column ? table.columns.find((c) => c.name === t.column)?.type : undefined;
}

/** The vector type of a column (`vector(1536)`, `extensions.halfvec(768)`), or null. */
function vectorType(type: string | undefined): "vector" | "halfvec" | "sparsevec" | null {
  const m = type ? /(?:^|\.)(vector|halfvec|sparsevec)\b/i.exec(type.trim()) : null;
  return m ? (m[1].toLowerCase() as "vector" | "halfvec" | "sparsevec") : null;
}

function textual(type: string | undefined): boolean {
  return !!type && /^(text|character varying|varchar)\b/i.test(type.trim());
}

/** Does a pg_trgm operator class take this clause? LIKE / ILIKE / regex (not negated), `=`, and the similarity operators. */
export function trigramClause(p: ColumnPredicate): boolean {
  return p.op === "like" || p.op === "like-prefix" || p.op === "similar" || p.op === "eq";
}

/** The clause is a text search, which a btree does not serve (an equality or a literal LIKE 'abc%' aside). */
function searchClause(p: ColumnPredicate): boolean {
  return p.op === "like" || p.op === "similar" || (p.op === "like-prefix" && (p.caseInsensitive || p.sentAs !== "literal"));
}

/**
 * A pattern written in the SQL from which pg_trgm extracts no trigram: no run of three letters or digits
 * (`'%@%'`, `'%ab%'`). pg_trgm builds trigrams from the alphanumeric words of the pattern's fixed text
 * (F.35.4, "Index Support"); with none, a GIN search reads the whole index, so the planner keeps its
 * sequential scan and no trigram index helps. A pattern sent as a parameter may hold any text: it keeps the advice.
 */
function trigramless(p: ColumnPredicate): boolean {
  if (p.sentAs !== "literal" || p.op === "similar" || !p.value || !/^'.*'$/s.test(p.value)) return false;
  return !/[\p{L}\p{N}]{3}/u.test(p.value.slice(1, -1).replace(/\\./g, " "));
}

/** The query's one ORDER BY term when it is a distance to a sent value. */
export function distanceOrder(pattern: AccessPattern): NonNullable<OrderTerm["distance"]> | null {
  const [term] = pattern.orderBy;
  if (pattern.orderBy.length !== 1 || !term.distance || term.descending) return null;
  return term.distance;
}

/** The operator class an index of `method` needs on a column of `type` to order by `operator`; null when none exists. */
export function distanceOpclass(method: "hnsw" | "ivfflat" | "gist", type: string | undefined, operator: string): string | null {
  if (method === "gist") return textual(type) && operator === "<->" ? "gist_trgm_ops" : null;
  const vt = vectorType(type);
  const metric = VECTOR_OPS[operator];
  if (!vt || !metric) return null;
  if (method === "ivfflat" && (vt === "sparsevec" || metric === "l1")) return null;
  return `${vt}_${metric}_ops`;
}

export interface SearchUse {
  served: boolean;
  /** Usable, but only by reading the whole index. */
  partial?: boolean;
  access: "bound" | "order" | "full-scan" | "none";
  boundKeys: string[];
  reason: string;
}

/**
 * How a GIN, GiST, HNSW or IVFFlat index serves the query through its operator classes, or null when
 * no key has an operator class modelled here (the caller's general answer stands).
 */
export function searchUse(table: Table, index: Index, pattern: AccessPattern, remaining: ColumnPredicate[]): SearchUse | null {
  const method = index.method.toLowerCase();
  if (!["gin", "gist", "hnsw", "ivfflat"].includes(method)) return null;
  const opclasses = index.keys.map((k) => k.opclass?.toLowerCase() ?? "");
  const distance = distanceOrder(pattern);
  if (method === "hnsw" || method === "ivfflat" || (method === "gist" && opclasses.includes("gist_trgm_ops") && distance)) {
    const key = index.keys[0];
    if (distance && key && keyTarget(key) === targetOfPredicate(distance)) {
      // A gist_trgm_ops key is text whatever it is (an expression's type is not in the model).
      const wanted =
        method === "gist" ? (opclasses[0] === "gist_trgm_ops" && distance.operator === "<->" ? "gist_trgm_ops" : null) : distanceOpclass(method as "hnsw" | "ivfflat", columnType(table, distance), distance.operator);
      if (wanted && opclasses[0] === wanted && pattern.limited) {
        return { served: true, access: "order", boundKeys: [], reason: `${index.name} (${method}, ${wanted}) returns rows in ${distance.operator} distance order, so the LIMIT stops the scan after the nearest rows` };
      }
      // Without a LIMIT a GiST index still delivers the order, reading every entry (pgvector's indexes are used only with one).
      if (wanted && opclasses[0] === wanted && method === "gist") {
        return { served: false, partial: true, access: "full-scan", boundKeys: [], reason: `${index.name} delivers the ${distance.operator} order, but without a LIMIT the whole index is read` };
      }
    }
    if (method !== "gist") {
      return { served: false, access: "none", boundKeys: [], reason: `${method} index ${index.name} serves only ORDER BY ${keyTarget(key ?? { descending: false, nullsFirst: false }) ?? "its key"} <op> value LIMIT k with its operator class's distance operator` };
    }
  }
  if (!opclasses.some((o) => TRIGRAM_OPCLASSES.has(o))) return null;
  // GIN and GiST take a clause on any key column, not only the leading one.
  const bound = index.keys.filter((k, i) => TRIGRAM_OPCLASSES.has(opclasses[i]) && remaining.some((p) => trigramClause(p) && targetOfPredicate(p) === keyTarget(k)));
  if (bound.length === 0) return { served: false, access: "none", boundKeys: [], reason: `no LIKE, ILIKE, regular expression, = or pg_trgm similarity clause of the query is on ${index.name}'s key` };
  const labels = bound.map((k) => k.column ?? k.expression ?? "?");
  return { served: true, access: "bound", boundKeys: labels, reason: `${index.name} (${opclasses.find((o) => TRIGRAM_OPCLASSES.has(o))}) searches ${labels.join(", ")} by trigrams` };
}

export interface SearchCandidate {
  method: "gin" | "hnsw" | "gist";
  key: { column?: string; expression?: string; opclass: string };
  /** The pg_trgm extension must exist before the index: the schema shows no sign of it. */
  needsExtension: "pg_trgm" | null;
  reason: string;
}

/** Does anything in the schema show pg_trgm installed (an index with one of its operator classes)? */
export function trigramInstalled(schema: Schema | undefined, table: Table): boolean {
  const tables = schema?.tables ?? [table];
  return tables.some((t) => t.indexes.some((i) => i.keys.some((k) => TRIGRAM_OPCLASSES.has(k.opclass?.toLowerCase() ?? ""))));
}

/**
 * The index that serves an operator search no btree serves: HNSW for a pgvector distance order with a
 * LIMIT, GiST (gist_trgm_ops) for a text distance order, GIN (gin_trgm_ops) for LIKE / ILIKE / regex /
 * similarity clauses. Null when the query has none, or its column cannot take that operator class.
 */
export function searchCandidate(table: Table, pattern: AccessPattern, schema: Schema | undefined): SearchCandidate | null {
  const distance = distanceOrder(pattern);
  if (distance && pattern.limited && keyProblem(table, distance) === null) {
    const type = columnType(table, distance);
    const target = { ...(distance.column ? { column: distance.column } : { expression: distance.expression }) };
    const hnsw = distanceOpclass("hnsw", type, distance.operator);
    if (hnsw) {
      return { method: "hnsw", key: { ...target, opclass: hnsw }, needsExtension: null, reason: `ORDER BY ${distance.column ?? distance.expression} ${distance.operator} ... LIMIT is a nearest-neighbour search: only an HNSW or IVFFlat index with ${hnsw} returns rows in that order (HNSW needs no training data and keeps its recall as rows change)` };
    }
    const gist = distanceOpclass("gist", type, distance.operator);
    if (gist) {
      return { method: "gist", key: { ...target, opclass: gist }, needsExtension: trigramInstalled(schema, table) ? null : "pg_trgm", reason: `ORDER BY ${distance.column} <-> ... LIMIT orders by trigram distance: only a GiST index with gist_trgm_ops returns rows in that order` };
    }
  }
  const clause = pattern.predicates.find((p) => searchClause(p) && !trigramless(p) && keyProblem(table, p) === null && (p.expression !== undefined || textual(columnType(table, p))));
  if (!clause) return null;
  const target = clause.column !== undefined ? { column: clause.column } : { expression: clause.expression };
  const what = clause.op === "similar" ? `the pg_trgm similarity operator ${clause.operator}` : clause.caseInsensitive ? "an ILIKE or case-insensitive regular expression" : "a LIKE or regular expression that is not a literal prefix";
  return {
    method: "gin",
    key: { ...target, opclass: "gin_trgm_ops" },
    needsExtension: trigramInstalled(schema, table) ? null : "pg_trgm",
    reason: `${clause.column ?? clause.expression} is searched with ${what}: a btree cannot take it, a GIN index with gin_trgm_ops (pg_trgm) can, with any pattern, bound as a parameter or not`,
  };
}

/** An ORDER BY term as a reviewer reads it: `created_at desc`, `embedding <=> $n`. */
export function orderTermText(o: OrderTerm): string {
  if (o.distance) return `${o.distance.column ?? o.distance.expression} ${o.distance.operator} $n${o.descending ? " desc" : ""}`;
  return `${o.column ?? o.expression ?? "?"}${o.descending ? " desc" : ""}`;
}

/** A text search clause as a reviewer reads it, or null for any other predicate. */
export function searchClauseText(p: ColumnPredicate): string | null {
  const t = p.column ?? p.expression;
  if (!t) return null;
  const v = p.sentAs === "literal" && p.value ? p.value : "$n";
  if (p.op === "similar") return `${t} ${p.operator ?? "%"} ${v}`;
  if (p.op === "like" || (p.op === "like-prefix" && (p.caseInsensitive || p.sentAs !== "literal"))) {
    return `${t} matches a pattern${p.caseInsensitive ? " (case-insensitive)" : ""}`;
  }
  return null;
}
