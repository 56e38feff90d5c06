// Building the indexes that serve the queries no existing index serves: as few as will serve them all.
//
// Per query: equality columns first (a column every query filters on before the others, then the more
// selective), then one range or sort column. Constants the client writes into the SQL and that every
// query on that key shares go into a partial WHERE; values the client binds as parameters go into the
// key, because a generic plan cannot prove a WHERE from a parameter. Candidate indexes are then chosen
// greedily by how many queries each serves, as the matcher (the planner's rules) judges it.
import type { AccessPattern, ColumnPredicate, ForeignKey, Index, IndexKey, OrderTerm, Schema, Table } from "../core/types.js";
import { type IndexMatch, indexesOf, keyLabel, keyTarget, matchIndex, matchPattern, type PatternMatch } from "./match.js";
import { exprFromPredicate, exprToText, parseLiteralText, targetOfPredicate, literalToSql } from "./predicates.js";
import { normalizeExpressionText } from "./expression.js";
import { indexName, quoteIdent } from "./sql.js";
import { createIndexStatements, dropIndexStatement, keyProblem } from "./index-ddl.js";
import { CONCURRENT_BUILD_APART } from "./fix-placement.js";
import { BOOLEANS_ONLY, determinedBy, type FewValued, indexWorthy, olderThanCutoff, type PartlyServed, partlyServed, selectivePredicates } from "./coverage.js";
import { inheritanceDescendants } from "./inheritance.js";
import { selectivity } from "./key-order.js";
import { distanceOrder, searchCandidate, searchClauseText } from "./search.js";
import { compareText } from "./text-order.js";

export interface RecommendedKey {
  column?: string;
  expression?: string;
  opclass?: string;
  descending: boolean;
  /** Written out only when it differs from the direction's default. */
  nullsFirst: boolean;
}

export interface Recommendation {
  /** Schema-qualified table, e.g. `public.call_logs`. */
  table: string;
  name: string;
  keys: RecommendedKey[];
  /** Partial-index predicate as SQL, or null. */
  where: string | null;
  /** `CREATE INDEX CONCURRENTLY IF NOT EXISTS ...;` plus any `DROP INDEX` of an index it replaces. */
  sql: string;
  /** The recommended index as the schema model would hold it. */
  index: Index;
  /** Every query it serves, in source order. */
  patterns: AccessPattern[];
  /** Existing indexes whose keys are a prefix of this one: drop them once this one is built. */
  replaces: Index[];
  /** Foreign keys with no covering index that this index also covers. */
  foreignKeys: ForeignKey[];
  /** Existing partial indexes that look as if they serve these queries but rely on parameter values. */
  parameterBlocked: Array<{ index: Index; columns: string[] }>;
  /** Why this column order, why this WHERE, and other caveats, one sentence each. */
  reasons: string[];
}

export interface RecommendOptions {
  /** Foreign keys of the table that no index covers (from the fk-index rule). */
  uncoveredForeignKeys?: ForeignKey[];
  /** Expected row counts by table name (bare or schema-qualified), to rank equality columns. */
  rowsOf?: (schema: string, table: string) => number | undefined;
  /** Index names already taken in the schema. */
  takenNames?: Set<string>;
  /** The whole schema, for the partitions of a partitioned table. */
  schema?: Schema;
  /** Columns with few distinct values (coverage.ts); booleans only when absent. */
  fewValued?: FewValued;
}

export interface TableAdvice {
  /** Matcher verdict for every pattern given. */
  matches: Array<{ pattern: AccessPattern; match: PatternMatch }>;
  recommendations: Recommendation[];
  /** Patterns not served for which no btree index can help (only `<>`, `LIKE '%x'`, `@>` ...). */
  unplaced: AccessPattern[];
  /**
   * Served patterns whose index searches only on weak columns while the query has one that alone
   * finds the row; the index used is given. They get recommendations like unserved ones.
   */
  underServed: Map<AccessPattern, IndexMatch>;
  /**
   * Served patterns the index the planner uses serves only in part (coverage.ts): selective filters
   * or the ORDER BY left to row-by-row checks. They get recommendations like unserved ones.
   */
  partlyServed: Map<AccessPattern, PartlyServed>;
}

// ---------------------------------------------------------------- reading a query's shape

interface Shape {
  pattern: AccessPattern;
  equalities: Array<{ target: string; predicate: ColumnPredicate }>;
  /** Constant filters written into the SQL: candidates for the partial WHERE, keyed by their SQL. */
  constants: Map<string, ColumnPredicate>;
  range: ColumnPredicate | null;
  sort: OrderTerm[];
}

function constantSql(p: ColumnPredicate): string | null {
  const target = p.column ? quoteIdent(p.column) : p.expression ? `(${normalizeExpressionText(p.expression)})` : null;
  if (!target || p.sentAs !== "literal") return null;
  switch (p.op) {
    case "is-null":
      return `${target} IS NULL`;
    case "is-not-null":
      return `${target} IS NOT NULL`;
    case "bool": {
      const v = parseLiteralText(p.value ?? "true");
      return `${target} = ${v?.kind === "bool" && !v.value ? "false" : "true"}`;
    }
    case "bool-test": {
      // Written as the query writes it: predtest.c proves `x IS TRUE` only from `x IS TRUE`.
      const value = (p.value ?? "").toLowerCase();
      return ["true", "false", "not true", "not false"].includes(value) ? `${target} IS ${value.toUpperCase()}` : null;
    }
    case "eq": {
      const v = parseLiteralText(p.value);
      return v ? `${target} = ${literalToSql(v)}` : null;
    }
    default:
      return null;
  }
}

/** Can this column or expression be an index key of the table once every migration has run? */
function indexableTarget(table: Table, t: { column?: string; expression?: string }): boolean {
  return (t.column !== undefined || t.expression !== undefined) && keyProblem(table, t) === null;
}

function shapeOf(pattern: AccessPattern, table: Table): Shape {
  const equalities: Shape["equalities"] = [];
  const constants = new Map<string, ColumnPredicate>();
  let range: ColumnPredicate | null = null;
  const pinned = new Set<string>();
  for (const p of pattern.predicates) {
    const target = targetOfPredicate(p);
    // A parameter, an aggregate, an alias or a dropped column is no key PostgreSQL accepts: the
    // clause stays a filter on the fetched rows.
    if (!target || !indexableTarget(table, p)) continue;
    const constant = constantSql(p);
    if (constant) {
      constants.set(constant, p);
      if (p.op === "eq") pinned.add(target);
      continue;
    }
    if (p.op === "eq" || p.op === "in" || p.op === "bool") {
      if (!equalities.some((e) => e.target === target)) equalities.push({ target, predicate: p });
      if (p.op !== "in") pinned.add(target);
    } else if (p.op === "range" && (p.operator === "<" || p.operator === "<=") && p.column && olderThanCutoff(p.column, pattern) && !pattern.predicates.some((q) => q !== p && q.op === "range" && targetOfPredicate(q) === target)) {
      // An "older than" cut-off matches most of the table (coverage.ts olderThanCutoff): no key of its own.
      continue;
    } else if (!range && (p.op === "range" || (p.op === "like-prefix" && p.sentAs === "literal" && !p.caseInsensitive))) {
      range = p;
    }
  }
  const seen = new Set<string>();
  const sort = pattern.limited
    ? pattern.orderBy.filter((t) => {
        const target = targetOfPredicate(t);
        if (!target || pinned.has(target) || seen.has(target)) return false;
        seen.add(target);
        return true;
      })
    : [];
  // An ORDER BY term we cannot name, or cannot index (an aggregate, a select-list alias, a
  // parameter), cannot be served by any index.
  const nameable = pattern.orderBy.every((t) => targetOfPredicate(t) !== null && indexableTarget(table, t));
  return { pattern, equalities, constants, range, sort: nameable ? sort : [] };
}

// ---------------------------------------------------------------- ranking equality columns

// ---------------------------------------------------------------- candidates

interface Candidate {
  keys: RecommendedKey[];
  where: string[];
  reasons: string[];
  /** The leading column alone finds the row (unique, or a token): the rest of the key was left out. */
  selectiveLead?: string;
}

function keyOf(target: string, predicate?: ColumnPredicate, table?: Table): RecommendedKey {
  const key: RecommendedKey = target.startsWith("expr:")
    ? { expression: target.slice(5), descending: false, nullsFirst: false }
    : { column: target, descending: false, nullsFirst: false };
  if (predicate?.op === "like-prefix" && table) {
    const type = table.columns.find((c) => c.name === predicate.column)?.type ?? "text";
    key.opclass = /^(character varying|varchar)/i.test(type) ? "varchar_pattern_ops" : "text_pattern_ops";
  }
  return key;
}

function sortKey(term: OrderTerm): RecommendedKey {
  const target = targetOfPredicate(term)!;
  const base = keyOf(target);
  const nullsFirst = term.nullsFirst ?? term.descending;
  return { ...base, descending: term.descending, nullsFirst };
}

function candidateFor(shape: Shape, table: Table, frequency: Map<string, number>, total: number, options: RecommendOptions): Candidate | null {
  const reasons: string[] = [];
  const ranked = shape.equalities
    .map((e, order) => ({ ...e, order, freq: frequency.get(e.target) ?? 0, sel: selectivity(table, e.target, options.fewValued ?? BOOLEANS_ONLY, options.rowsOf) }))
    .sort(
      (a, b) =>
        // A column that alone finds the row leads; then one every query filters on; then the more selective.
        Number(b.sel.score === Infinity) - Number(a.sel.score === Infinity) ||
        Number(b.freq === total) - Number(a.freq === total) ||
        b.sel.score - a.sel.score ||
        b.freq - a.freq ||
        a.order - b.order,
    );
  const keys: RecommendedKey[] = [];
  let selectiveLead: string | undefined;
  // A column with few values (a boolean, a two-label enum) narrows little: it is checked on the fetched
  // rows, never made a key, so an index keyed only by it is never advised.
  const few = options.fewValued ?? BOOLEANS_ONLY;
  const isFew = (target: string) => !target.startsWith("expr:") && few(table, target);
  const weak = ranked.filter((r) => isFew(r.target));
  // A column another equality column fixes through a foreign key (`team_id` beside `bank_account_id`) is left out too.
  const all = ranked.map((r) => r.target);
  const implied = ranked.filter((r) => !isFew(r.target) && determinedBy(options.schema, table, r.target, all));
  if (implied.length > 0) {
    ranked.splice(0, ranked.length, ...ranked.filter((r) => !implied.includes(r)));
    reasons.push(
      implied.map((r) => `${r.target} is fixed by ${determinedBy(options.schema, table, r.target, all)} (its row carries the same ${r.target})`).join("; ") +
        `, so ${implied.length > 1 ? "they are" : "it is"} checked on the fetched rows rather than keyed`,
    );
  }
  if (weak.length > 0) {
    ranked.splice(0, ranked.length, ...ranked.filter((r) => !isFew(r.target)));
    reasons.push(`${weak.map((r) => r.target).join(", ")} ${weak.length > 1 ? "have" : "has"} few distinct values, so ${weak.length > 1 ? "they are" : "it is"} checked on the fetched rows rather than keyed`);
  }
  const label = (t: string) => (t.startsWith("expr:") ? t.slice(5) : t);
  // An IN on a column of a few states (`status IN ('ERROR', 'COMPLETED')`) keyed before the ORDER BY column splits
  // the index into one ordered run per value: the scan's output is no longer in ORDER BY order and the planner sorts
  // every match (checked in the planner tests). Behind another equality it is checked on the fetched rows instead.
  const split = shape.sort.length > 0 ? ranked.filter((r) => r.predicate.op === "in" && r.sel.score < 0) : [];
  if (split.length > 0 && ranked.some((r) => !split.includes(r))) {
    ranked.splice(0, ranked.length, ...ranked.filter((r) => !split.includes(r)));
    reasons.push(
      `${split.map((r) => `${label(r.target)} IN (...)`).join(", ")} matches several values: keyed before the ORDER BY column, it would leave the index's rows in that order only within each value, so the planner would sort every match; ${split.length > 1 ? "they are" : "it is"} checked on the fetched rows instead`,
    );
  }
  if (ranked.length > 0 && ranked[0].sel.score === Number.POSITIVE_INFINITY) {
    keys.push(keyOf(ranked[0].target));
    selectiveLead = label(ranked[0].target);
    const left = ranked.slice(1).map((r) => label(r.target));
    reasons.push(
      left.length
        ? `${label(ranked[0].target)} alone finds the row (${ranked[0].sel.why}); ${left.join(", ")} ${left.length > 1 ? "are" : "is"} left out of the key and checked on that row, which keeps the index small`
        : `${label(ranked[0].target)} alone finds the row (${ranked[0].sel.why})`,
    );
  } else {
    for (const r of ranked) keys.push(keyOf(r.target));
    if (ranked.length > 1) {
      const why = ranked.map((r) => `${label(r.target)}${r.freq > 1 ? ` (in ${r.freq} of the ${total} queries on ${table.name} that no index serves)` : ""}${r.sel.why ? ` (${r.sel.why})` : ""}`);
      reasons.push(`equality columns lead, in this order: ${why.join(", ")} (a column every query filters on comes first, then the more selective, so one index serves them all)`);
    } else if (ranked.length === 1) {
      reasons.push(`equality on ${label(ranked[0].target)} leads`);
    }
    if (shape.sort.length > 0) {
      const keysSoFar = new Set(keys.map((k) => k.column ?? `expr:${k.expression}`));
      if (shape.sort.every((t) => !keysSoFar.has(targetOfPredicate(t)!))) {
        const ledBy = keys.length;
        for (const t of shape.sort) keys.push(sortKey(t));
        const sorted = `the ORDER BY column${shape.sort.length > 1 ? "s" : ""}, in the query's order, so the LIMIT stops the scan after the first rows instead of sorting every match`;
        reasons.push(ledBy > 0 ? `then ${sorted}` : `${sorted[0].toUpperCase()}${sorted.slice(1)}`);
      }
    } else if (shape.range) {
      const target = targetOfPredicate(shape.range)!;
      keys.push(keyOf(target, shape.range, table));
      reasons.push(
        shape.range.op === "like-prefix"
          ? `then ${label(target)} with ${keys[keys.length - 1].opclass}, the only way a LIKE 'prefix%' can use a btree under a locale collation`
          : keys.length > 1
            ? `then the range column ${label(target)} last: a btree bounds one range after the equalities`
            : `the range column ${label(target)}: a btree bounds the scan to that range`,
      );
    }
  }
  let where = [...shape.constants.keys()];
  if (keys.length === 0) {
    // Only constant filters: the first keys the index (a filter the WHERE held would leave the key
    // nothing to search on) and the others stay in the WHERE.
    // The key is a selective filter (not a boolean, a few-valued enum, or `deleted_at IS NULL`).
    const selective = new Set(selectivePredicates(shape.pattern));
    const [firstSql, first] =
      [...shape.constants.entries()].find(([, p]) => {
        const t = targetOfPredicate(p);
        return t !== null && !isFew(t) && p.op !== "bool" && p.op !== "bool-test" && selective.has(p);
      }) ?? [];
    const target = first ? targetOfPredicate(first) : null;
    if (!target) return null;
    keys.push(keyOf(target));
    where = where.filter((w) => w !== firstSql);
    reasons.push(`no column is compared with a parameter or a range; ${label(target)} keys the index${where.length ? " and the WHERE holds the other filters" : ""}`);
  }
  return { keys, where, reasons, selectiveLead };
}

/**
 * A key's identity for "the same index exists": column or expression, operator class and collation, and
 * direction. A key under another collation or a non-default operator class only serves clauses of that
 * collation or class (indxpath.c IndexCollMatchesExprColl, op_in_opfamily), so `(sku COLLATE "C")` does not
 * make a plain `(sku)` redundant. A btree type's default class (`text_ops`, `int8_ops`) is no class.
 */
function keyIdentity(k: RecommendedKey | IndexKey): string {
  const target = "column" in k && k.column ? k.column : k.expression ? `expr:${normalizeExpressionText(k.expression)}` : "?";
  const opclass = (k.opclass ?? "").toLowerCase();
  const ownClass = /^[a-z0-9]+_ops$/.test(opclass) && !opclass.includes("pattern") ? "" : opclass;
  const collation = "collation" in k ? (k.collation ?? "").toLowerCase() : "";
  return `${target}|${ownClass}|${collation === "default" ? "" : collation}|${k.descending ? "desc" : "asc"}`;
}

function keySql(k: RecommendedKey): string {
  let s = k.column ? quoteIdent(k.column) : `(${k.expression})`;
  if (k.opclass) s += ` ${k.opclass}`;
  if (k.descending) s += " DESC";
  if (k.nullsFirst !== k.descending) s += k.nullsFirst ? " NULLS FIRST" : " NULLS LAST";
  return s;
}

function hypotheticalIndex(name: string, c: Candidate, table: Table): Index {
  const where = c.where.length ? c.where.join(" AND ") : null;
  return {
    name,
    keys: c.keys.map((k) => ({ ...k })),
    include: [],
    unique: false,
    method: "btree",
    where,
    whereAst: null,
    constraint: null,
    location: table.location,
  };
}

function sameWhere(a: string | null, b: string | null): boolean {
  const norm = (w: string | null) => (w === null ? "" : w.toLowerCase().replace(/\s+/g, " ").replace(/[()]/g, "").trim());
  return norm(a) === norm(b);
}

function isPrefix(shorter: Array<RecommendedKey | IndexKey>, longer: Array<RecommendedKey | IndexKey>): boolean {
  return shorter.length <= longer.length && shorter.every((k, i) => keyIdentity(k) === keyIdentity(longer[i]));
}

// ---------------------------------------------------------------- the recommender

/**
 * Which existing indexes serve each pattern, and the fewest new indexes that serve the rest. On an
 * inheritance parent (inheritance.ts) a pattern is served only when the parent and every descendant
 * serve it; each table that does not gets its own recommendation, and the verdict is the worst one.
 */
export function adviseTable(table: Table, patterns: AccessPattern[], options: RecommendOptions = {}): TableAdvice {
  const own = adviseOneTable(table, patterns, options);
  const heirs = inheritanceDescendants(options.schema, table);
  if (heirs.length === 0) return own;
  const family = [own, ...heirs.map((heir) => adviseOneTable(heir, patterns, { ...options, uncoveredForeignKeys: [] }))];
  const worst = (i: number) => family.map((a) => a.matches[i]).sort((a, b) => VERDICT_RANK[b.match.verdict] - VERDICT_RANK[a.match.verdict])[0];
  return {
    matches: own.matches.map((_, i) => worst(i)),
    recommendations: family.flatMap((a) => a.recommendations),
    unplaced: [...new Set(family.flatMap((a) => a.unplaced))],
    underServed: new Map(family.flatMap((a) => [...a.underServed])),
    partlyServed: new Map(family.flatMap((a) => [...a.partlyServed])),
  };
}

const VERDICT_RANK = { served: 0, partial: 1, "not-served": 2 } as const;

function adviseOneTable(table: Table, patterns: AccessPattern[], options: RecommendOptions): TableAdvice {
  const matches = patterns.map((pattern) => ({ pattern, match: matchPattern(table, pattern) }));
  // A served query can still be served badly: when it has a column that alone finds the row (a
  // token, a unique column) and the index the planner would use searches on other columns only
  // (say a status), it reads every row with that status. Such a query is advised like an unserved one.
  const underServed = new Map<AccessPattern, IndexMatch>();
  for (const { pattern, match } of matches) {
    if (match.verdict !== "served" || !match.best) continue;
    const shape = shapeOf(pattern, table);
    const own = candidateFor(shape, table, new Map(), 1, options);
    // Served badly only when no usable index searches by that column (a composite primary key on (id, project_id) does).
    const lead = own?.selectiveLead;
    if (lead && !match.matches.some((m) => m.verdict === "served" && m.access === "bound" && m.boundKeys.includes(lead))) underServed.set(pattern, match.best);
  }
  const partly = new Map<AccessPattern, PartlyServed>();
  for (const { pattern, match } of matches) {
    // A partial index the query would use but for its parameters gets its own NOTED advice (query-index).
    if (underServed.has(pattern) || match.parameterBlocked.length > 0) continue;
    const part = partlyServed(table, pattern, match, options);
    if (part) partly.set(pattern, part);
  }
  // A skip scan or a filtering full scan is not a served query: it gets a recommendation too, and
  // the caller decides how much that matters (see IndexMatch.filterKeys). A query with no selective
  // predicate and no ORDER BY ... LIMIT reads most of the table whatever the index: none is advised.
  const unserved = matches
    .filter((m) => m.match.verdict !== "served" || underServed.has(m.pattern) || partly.has(m.pattern))
    .map((m) => m.pattern)
    .filter(indexWorthy)
    // A nearest-neighbour search with no equality to key a btree on is left to its HNSW/GiST index (search.ts).
    .filter((p) => !(distanceOrder(p) && shapeOf(p, table).equalities.length === 0 && searchCandidate(table, p, options.schema)));
  const shapes = unserved.map((p) => shapeOf(p, table));
  const frequency = new Map<string, number>();
  for (const s of shapes) for (const e of s.equalities) frequency.set(e.target, (frequency.get(e.target) ?? 0) + 1);

  // One candidate per distinct key; its WHERE keeps only the constants every query on that key shares.
  const byKey = new Map<string, { candidate: Candidate; shapes: Shape[] }>();
  // The equality columns each query's own ideal index searches on: another index serves that query
  // only if it searches on all of them too (fewer indexes, but never a worse one for any query).
  const required = new Map<AccessPattern, string[]>();
  // Queries whose own ideal index returns rows in ORDER BY order: another index serves them only if it
  // does too (an index on (a, b, c) gives order c only under equality on a and b), or it leaves a sort.
  const needsOrder = new Set<AccessPattern>();
  for (const shape of shapes) {
    const c = candidateFor(shape, table, frequency, shapes.length, options);
    if (!c) continue;
    if (shape.pattern.limited && shape.pattern.orderBy.length > 0 && matchIndex(table, hypotheticalIndex("order_probe", c, table), shape.pattern).orderServed) {
      needsOrder.add(shape.pattern);
    }
    const equalityTargets = new Set(shape.equalities.map((e) => e.target));
    required.set(
      shape.pattern,
      c.keys.filter((k) => equalityTargets.has(k.column ?? `expr:${k.expression}`)).map((k) => k.column ?? k.expression ?? ""),
    );
    const id = c.keys.map(keyIdentity).join(",");
    const entry = byKey.get(id);
    if (!entry) byKey.set(id, { candidate: c, shapes: [shape] });
    else {
      entry.candidate.where = entry.candidate.where.filter((w) => c.where.includes(w));
      entry.shapes.push(shape);
    }
  }

  // Names chosen here, checked beside the schema's without copying that (large) set for every table.
  const localNames = new Set(table.indexes.map((i) => i.name));
  const taken = { has: (name: string) => localNames.has(name) || (options.takenNames?.has(name) ?? false), add: (name: string) => localNames.add(name) };
  const pool = [...byKey.values()]
    .map(({ candidate }) => candidate)
    // Never an index that repeats, or is a left prefix of, an existing one with the same WHERE.
    .filter((c) => !indexesOf(table).some((i) => sameWhere(i.where, c.where.length ? c.where.join(" AND ") : null) && isPrefix(c.keys, i.keys)))
    .map((candidate, n) => {
      const index = hypotheticalIndex(`candidate_${n}`, candidate, table);
      const serves = unserved.filter((p) => {
        const m = matchIndex(table, index, p);
        return m.verdict === "served" && (required.get(p) ?? []).every((col) => m.boundKeys.includes(col)) && (!needsOrder.has(p) || m.orderServed);
      });
      return { candidate, index, serves };
    });

  const chosen: typeof pool = [];
  let left = new Set(unserved);
  while (left.size > 0) {
    const best = pool
      .filter((c) => !chosen.includes(c))
      .map((c) => ({ c, gain: c.serves.filter((p) => left.has(p)).length }))
      .filter((x) => x.gain > 0)
      .sort((a, b) => b.gain - a.gain || b.c.candidate.keys.length - a.c.candidate.keys.length)[0];
    if (!best) break;
    chosen.push(best.c);
    const servedNow = new Set(best.c.serves);
    left = new Set([...left].filter((p) => !servedNow.has(p)));
  }
  // A chosen index that is a prefix of another chosen one (same WHERE) adds nothing.
  const final = chosen.filter(
    (c) => !chosen.some((o) => o !== c && sameWhere(o.index.where, c.index.where) && isPrefix(c.candidate.keys, o.candidate.keys) && c.serves.every((p) => new Set(o.serves).has(p))),
  );

  const uncoveredFks = [...(options.uncoveredForeignKeys ?? [])];
  const recommendations: Recommendation[] = [];
  const assigned = new Set<AccessPattern>();
  for (const c of final) {
    const served = c.serves.filter((p) => !assigned.has(p));
    if (served.length === 0) continue;
    served.forEach((p) => assigned.add(p));
    const folded = foldForeignKeys(table, c.candidate, served, uncoveredFks);
    const candidate = folded.candidate;
    const partsForName = candidate.keys.map((k) => k.column ?? k.expression ?? "expr");
    const name = indexName(table.name, partsForName, taken);
    taken.add(name);
    const index = hypotheticalIndex(name, candidate, table);
    const where = index.where;
    const replaces = table.indexes.filter(
      (i) => i.constraint === null && i.method.toLowerCase() === "btree" && i.include.length === 0 && sameWhere(i.where, where) && i.keys.length < candidate.keys.length && isPrefix(i.keys, candidate.keys),
    );
    const reasons = [...candidate.reasons, ...folded.reasons];
    if (where) {
      reasons.push(
        `WHERE ${where}: ${candidate.where.length > 1 ? "these filters are" : "this filter is"} written into the SQL (not sent as a parameter) by every query it serves, so the planner can prove it even in a generic plan, and the index holds only those rows`,
      );
    }
    const params = [...new Set(served.flatMap((p) => p.predicates.filter((q) => q.sentAs === "param" && (q.op === "eq" || q.op === "bool")).map((q) => q.column ?? q.expression ?? "")))];
    if (params.length) {
      const inKey = params.filter((col) => candidate.keys.some((k) => (k.column ?? k.expression) === col));
      const plural = params.length > 1;
      const where =
        inKey.length === params.length
          ? `${plural ? "go" : "goes"} into the key`
          : inKey.length
            ? `go into the key (${inKey.join(", ")}) or are checked on the fetched rows`
            : `${plural ? "are" : "is"} checked on the fetched rows`;
      reasons.push(
        `${params.join(", ")} ${params.length > 1 ? "are" : "is"} sent as ${params.length > 1 ? "parameters" : "a parameter"}, so ${params.length > 1 ? "they" : "it"} ${where}, never into the WHERE: a partial index predicate on a parameterised value is unusable once PostgreSQL switches to a generic plan`,
      );
    }
    for (const r of replaces) reasons.push(`replaces ${r.name} (${r.keys.map(keyLabel).join(", ")}), a left prefix of this index: the new index serves its queries too, so drop it to save the write cost`);
    const blocked = new Map<Index, Set<string>>();
    for (const p of served) {
      const m = matches.find((x) => x.pattern === p)?.match;
      for (const b of m?.parameterBlocked ?? []) {
        const set = blocked.get(b.index) ?? new Set<string>();
        for (const col of b.parameterBlockedColumns ?? []) set.add(col);
        blocked.set(b.index, set);
      }
    }
    const parameterBlocked = [...blocked].map(([idx, cols]) => ({ index: idx, columns: [...cols] }));
    for (const b of parameterBlocked) reasons.push(genericPlanCaveat(b.index, b.columns));
    const create = createIndexStatements({ schema: options.schema, table, name, keysSql: candidate.keys.map(keySql).join(", "), where, taken, nameParts: partsForName });
    if (create.length > 1) {
      reasons.push(
        `${table.name} is partitioned, and PostgreSQL cannot build an index CONCURRENTLY on a partitioned table: the index is created ON ONLY the parent (instant, invalid until complete), built CONCURRENTLY on each partition, and each partition's index attached`,
      );
    }
    const drops = replaces.map((r) => dropIndexStatement(table, r.name));
    recommendations.push({
      table: `${table.schema}.${table.name}`,
      name,
      keys: candidate.keys,
      where,
      sql: [...create, ...drops].join("\n"),
      index,
      patterns: [...served].sort(bySource),
      replaces,
      foreignKeys: folded.foreignKeys,
      parameterBlocked,
      reasons,
    });
  }
  recommendations.push(...searchRecommendations(table, matches.filter((m) => m.match.verdict !== "served" && !assigned.has(m.pattern)).map((m) => m.pattern), options, taken, assigned));
  const unplaced = matches.filter((m) => m.match.verdict !== "served" && !assigned.has(m.pattern)).map((m) => m.pattern);
  // A partly served query no new index improves keeps its index: nothing to report.
  for (const p of [...partly.keys()]) if (!assigned.has(p)) partly.delete(p);
  return { matches, recommendations, unplaced, underServed, partlyServed: partly };
}

/**
 * Operator searches no btree serves (search.ts): one GIN, GiST or HNSW index per column and operator
 * class, for the queries that have one. The fix creates pg_trgm first when nothing in the schema shows
 * it installed, so the statement runs on a database where the migrations never created it.
 */
function searchRecommendations(
  table: Table,
  patterns: AccessPattern[],
  options: RecommendOptions,
  taken: { has(name: string): boolean; add(name: string): void },
  assigned: Set<AccessPattern>,
): Recommendation[] {
  const byIndex = new Map<string, { candidate: NonNullable<ReturnType<typeof searchCandidate>>; patterns: AccessPattern[] }>();
  for (const pattern of patterns) {
    const candidate = searchCandidate(table, pattern, options.schema);
    if (!candidate) continue;
    const id = `${candidate.method}|${candidate.key.column ?? `expr:${normalizeExpressionText(candidate.key.expression ?? "")}`}|${candidate.key.opclass}`;
    const entry = byIndex.get(id);
    if (entry) entry.patterns.push(pattern);
    else byIndex.set(id, { candidate, patterns: [pattern] });
  }
  const out: Recommendation[] = [];
  for (const { candidate, patterns: served } of byIndex.values()) {
    const parts = [candidate.key.column ?? candidate.key.expression ?? "expr", candidate.method];
    const name = indexName(table.name, parts, taken);
    taken.add(name);
    const key: RecommendedKey = { ...candidate.key, descending: false, nullsFirst: false };
    const index: Index = { ...hypotheticalIndex(name, { keys: [key], where: [], reasons: [] }, table), method: candidate.method };
    const create = createIndexStatements({ schema: options.schema, table, name, keysSql: keySql(key), where: null, taken, nameParts: parts, method: candidate.method });
    const reasons = [candidate.reason];
    if (candidate.needsExtension) {
      const apart = create.some((c) => /\bCONCURRENTLY\b/i.test(c));
      create.unshift(`CREATE EXTENSION IF NOT EXISTS ${candidate.needsExtension};`, ...(apart ? [CONCURRENT_BUILD_APART] : []));
      reasons.push(
        `The migrations never create the ${candidate.needsExtension} extension, which provides ${candidate.key.opclass}; the fix creates it first, in a migration (it ships with PostgreSQL's contrib modules; creating it needs the CREATE privilege on the database)${apart ? ", and builds the index in a later migration that holds nothing else: a migration of several statements runs as one transaction, where CREATE INDEX CONCURRENTLY fails" : ""}`,
      );
    }
    served.forEach((p) => assigned.add(p));
    out.push({ table: `${table.schema}.${table.name}`, name, keys: [key], where: null, sql: create.join("\n"), index, patterns: [...served].sort(bySource), replaces: [], foreignKeys: [], parameterBlocked: [], reasons });
  }
  return out;
}

/** Explains why an existing partial index stops serving a query once plans go generic. */
export function genericPlanCaveat(index: Index, columns: string[]): string {
  return (
    `${index.name} (WHERE ${index.where ?? "..."}) compares ${columns.join(", ")} with constants, but the client sends ${columns.length > 1 ? "those values as parameters" : "that value as a parameter"}: ` +
    `PostgreSQL can use it only in a custom plan. Under plan_cache_mode = auto, after five custom plans of a prepared statement (PostgREST prepares its statements) it chooses the generic plan whenever that plan's estimated cost is not above the average custom plan's (plancache.c, choose_custom_plan); ` +
    `a generic plan cannot prove the WHERE, so PostgreSQL may stop using the index. While the index makes custom plans much cheaper it keeps choosing them, so whether and when it switches depends on the data`
  );
}

function bySource(a: AccessPattern, b: AccessPattern): number {
  return compareText(a.location.file, b.location.file) || a.location.line - b.location.line || a.location.column - b.location.column;
}

/**
 * When an uncovered foreign key's columns are all equality columns of a recommendation, move them to
 * the front: one index then serves the queries and the FK's RI lookups (`fk = $1`). Only for an index
 * with no WHERE, which the RI check could not prove.
 */
function foldForeignKeys(
  table: Table,
  candidate: Candidate,
  served: AccessPattern[],
  uncovered: ForeignKey[],
): { candidate: Candidate; foreignKeys: ForeignKey[]; reasons: string[] } {
  if (candidate.where.length > 0) return { candidate, foreignKeys: [], reasons: [] };
  for (const fk of uncovered) {
    const positions = fk.columns.map((col) => candidate.keys.findIndex((k) => k.column === col));
    if (positions.some((p) => p < 0)) continue;
    const fkKeys = positions.map((p) => candidate.keys[p]);
    const rest = candidate.keys.filter((k) => !fkKeys.includes(k));
    const reordered: Candidate = { ...candidate, keys: [...fkKeys, ...rest] };
    const probe = hypotheticalIndex("fold_probe", reordered, table);
    if (!served.every((p) => matchIndex(table, probe, p).verdict === "served")) continue;
    uncovered.splice(uncovered.indexOf(fk), 1);
    return {
      candidate: reordered,
      foreignKeys: [fk],
      reasons: [`${fk.columns.join(", ")} lead${fk.columns.length > 1 ? "" : "s"} so the same index also covers foreign key ${fk.name}, which has no index of its own`],
    };
  }
  return { candidate, foreignKeys: [], reasons: [] };
}

/** The pattern's filter as readable SQL, for messages. */
export function describePattern(pattern: AccessPattern): string {
  return pattern.predicates
    .map((p) => searchClauseText(p) ?? (p.op === "in" && targetOfPredicate(p) ? `${p.column ?? p.expression} IN (...)` : exprToText(exprFromPredicate(p))))
    .join(" AND ");
}

export type { IndexMatch };
