// A query the application makes that no index serves, with the index that would serve it.
//
// Severity: IMPORTANT when the table's size hint is at least 100,000 rows, or when the table has no
// size hint and the query is a single-row lookup (equality plus LIMIT/single()) or a scheduled or bulk
// write (cron job, UPDATE, DELETE) whose leading column appears in no index at all; ROUTINE otherwise
// (a size hint below 100,000 rows keeps it ROUTINE). A query an index serves only by skip scan or as a
// filtering full scan is NOTED. `rules: { query-index: <severity> }` in the config overrides all of it.
import { tableHint } from "../core/config.js";
import { isKnownSmall, isSettledMigrationFile } from "./model.js";
import { growth, lookupShape, noGrowthSeen, platformOwned } from "./table-evidence.js";
import type { AccessPattern, Fix, FindingDraft, ForeignKey, Statement, Table } from "../core/types.js";
import { type IndexMatch, indexesOf, keyLabel, type PatternMatch } from "../advisor/match.js";
import { adviseTable, describePattern, type Recommendation } from "../advisor/recommend.js";
import { castOnIndexedColumn, enumLikeColumns, type FewValued, fewValuedColumns, type PartlyServed } from "../advisor/coverage.js";
import { openRangeOrder, openRangeParagraph, type RangeOrder } from "../advisor/open-range.js";
import { orderTermText } from "../advisor/search.js";
import { findPatternTable, qualifiedTableName } from "../schema/lookup.js";
import { whyIndexCannotServe } from "../advisor/ri-check.js";
import { oneOffKind, oneOffNote } from "./one-off-code.js";
import { historyShape, isTimeColumn, keyGrowth } from "./query-index-growth.js";
import { joinPathNote, joinPaths } from "./query-index-joins.js";
import { bySource, callers, genericPlanFindings, pluralCallers } from "./query-index-generic-plan.js";
import { castAdvice, declaredFunctions, type DeclaredFunctions } from "../advisor/cast-advice.js";
import { placeIndexFix } from "../advisor/fix-placement.js";
import type { Rule, RuleContext } from "./rule.js";

const RULE_ID = "query-index";
/** Why a pattern's ORDER BY was left out of the advice (earlyStop), by the pattern advised. */
const orderWhy = new WeakMap<AccessPattern, string>();
/** Filters a pattern applies on some calls only (an optional value, a branch), by the pattern advised. */
const optionalWhy = new WeakMap<AccessPattern, string[]>();
/** How a pattern on a join was judged along its join path (query-index-joins.ts), by the pattern advised. */
const joinWhy = new WeakMap<AccessPattern, string>();
/** Rows from which a table counts as large (the same mark the other rules use). */
export const LARGE_TABLE_ROWS = 100_000;

function suppressed(pattern: AccessPattern): boolean {
  return pattern.suppressions.some((s) => s.rule === RULE_ID);
}

/** The query as it always runs: filters added only on some code paths cannot be relied on. */
function unconditional(pattern: AccessPattern): AccessPattern {
  if (!pattern.predicates.some((p) => p.conditional)) return pattern;
  return { ...pattern, predicates: pattern.predicates.filter((p) => !p.conditional) };
}

/** Filters whose share of rows nothing tells: an OR the extractor could not split, `LIKE '%x%'`, `@>`, a similarity. */
function opaqueFilter(pattern: AccessPattern): string | null {
  if (pattern.hasOr) return "an OR";
  const p = pattern.predicates.find((q) => q.op === "like" || q.op === "contains" || q.op === "similar" || q.op === "other");
  return p ? `${p.column ?? p.expression}` : null;
}

/** The predicates of a pattern, as a key two queries with the same filter share. */
function filterSignature(pattern: AccessPattern): string {
  return pattern.predicates.map((p) => `${p.column ?? p.expression}|${p.op}|${p.operator ?? ""}|${p.value ?? ""}`).sort().join(";") + (pattern.hasOr ? "|or" : "");
}

/**
 * The pattern as far as an index in ORDER BY order helps it. Reading an index in order stops after the
 * LIMIT's rows only when the filters left to check match often, so the order does not count when:
 * - a filter's share of rows is unknown (opaqueFilter): for a rare match the scan reads the whole table;
 * - the same function counts, or reads unlimited, the rows of the same filter (a `count` beside the
 *   `findMany`, as in `Promise.all`): that read goes through every match anyway. Except a count of one key's
 *   rows (an equality on a value the code passes) in a table whose rows per key keep growing (an append-only
 *   or event history, query-index-growth.ts): the count reads only the new index's leading columns (an
 *   index-only scan), while the order column spares the page a heap read and a sort of every match.
 * A nearest-neighbour ORDER BY (`embedding <=> $1`) keeps its order: only its own index serves it.
 */
function earlyStop(pattern: AccessPattern, siblings: AccessPattern[], growing = false): { pattern: AccessPattern; why?: string } {
  if (!pattern.limited || pattern.orderBy.length === 0 || pattern.orderBy.some((o) => o.distance)) return { pattern };
  const opaque = opaqueFilter(pattern);
  const signature = filterSignature(pattern);
  const keyed = growing && pattern.predicates.some((p) => (p.op === "eq" || p.op === "in") && p.sentAs === "param" && p.column !== undefined);
  const counted = siblings.find(
    (q) =>
      q !== pattern && q.kind === "select" && q.orderBy.length === 0 && (q.countsAll ? !keyed : !q.limited) && pattern.functionName !== undefined && q.functionName === pattern.functionName &&
      q.location.file === pattern.location.file && q.table === pattern.table && filterSignature(unconditional(q)) === signature,
  );
  if (!opaque && !counted) return { pattern };
  const why = counted
    ? `the same function also ${counted.countsAll ? "counts" : "reads"} every row of this filter (${counted.location.file}:${counted.location.line}), so an index in ORDER BY order saves that read nothing`
    : `${opaque === "an OR" ? "an OR filter" : `the filter on ${opaque}`} may match few rows, so a scan in ORDER BY order is not known to stop early`;
  return { pattern: { ...pattern, orderBy: [] }, why };
}

/** Queries an index could help with: something to filter on or to order by. */
function indexable(pattern: AccessPattern): boolean {
  if (pattern.kind === "insert" || pattern.kind === "upsert") return false;
  // An OR the extractor could not split (`name ILIKE ... OR url ILIKE ...`) is a filter all the same: reading
  // the table in ORDER BY order stops early only when it matches often, so no order-based advice.
  if (pattern.hasOr && pattern.predicates.length === 0) return false;
  return pattern.predicates.length > 0 || (pattern.orderBy.length > 0 && pattern.limited);
}

/** A string or number literal, optionally cast (`'synced'::text`): its text, else undefined. */
function literalOf(node: Record<string, any> | undefined): string | undefined {
  const c = node?.TypeCast ? node.TypeCast.arg?.A_Const : node?.A_Const;
  if (!c) return undefined;
  if (c.sval) return c.sval.sval ?? "";
  if (c.ival) return String(c.ival.ival ?? 0);
  return undefined;
}

/**
 * Column defaults the migrations set to a literal, by `schema.table.column`, as they stand after every
 * statement (CREATE TABLE, ADD COLUMN, ALTER COLUMN ... SET/DROP DEFAULT).
 */
function literalDefaults(statements: Statement[]): Map<string, string> {
  const out = new Map<string, string>();
  const key = (relation: Record<string, any> | undefined, column: string) => `${relation?.schemaname ?? "public"}.${relation?.relname ?? ""}.${column}`;
  // What follows the last dot of each key set: a key ends so, so a column whose name ends otherwise has none to
  // forget (most columns of most migrations), and no key string is written for it.
  const known = new Set<string>();
  const lastPart = (column: string) => column.slice(column.lastIndexOf(".") + 1);
  const column = (relation: Record<string, any> | undefined, def: Record<string, any> | undefined) => {
    if (!def?.colname) return;
    let d: Record<string, any> | undefined;
    for (const c of def.constraints ?? []) {
      if (c.Constraint?.contype === "CONSTR_DEFAULT") {
        d = c.Constraint;
        break;
      }
    }
    const value = literalOf(d?.raw_expr);
    if (value !== undefined) {
      out.set(key(relation, def.colname), value);
      known.add(lastPart(def.colname));
    } else if (known.has(lastPart(def.colname))) out.delete(key(relation, def.colname));
  };
  for (const statement of statements) {
    const create = statement.ast.CreateStmt;
    if (create) for (const e of create.tableElts ?? []) column(create.relation, e.ColumnDef);
    const alter = statement.ast.AlterTableStmt;
    if (!alter) continue;
    for (const cmd of alter.cmds ?? []) {
      const c = cmd.AlterTableCmd;
      if (c?.subtype === "AT_AddColumn") column(alter.relation, c.def?.ColumnDef);
      if (c?.subtype === "AT_ColumnDefault" && c.name) {
        const value = literalOf(c.def);
        if (value !== undefined) {
          out.set(key(alter.relation, c.name), value);
          known.add(lastPart(c.name));
        } else if (known.has(lastPart(c.name))) out.delete(key(alter.relation, c.name));
      }
    }
  }
  return out;
}

/**
 * The query without equality filters that compare a column with its default (`status = 'synced'` where
 * new rows are 'synced'): the default is the most common value, so that filter narrows little and earns
 * no place in an index key.
 */
function withoutDefaultFilters(pattern: AccessPattern, table: Table, defaults: Map<string, string>): AccessPattern {
  const isDefault = (p: AccessPattern["predicates"][number]) => {
    if (p.op !== "eq" || !p.column || p.value === undefined) return false;
    const value = /^'(.*)'$/s.exec(p.value)?.[1]?.replace(/''/g, "'") ?? p.value;
    return defaults.get(`${table.schema}.${table.name}.${p.column}`) === value;
  };
  if (!pattern.predicates.some(isDefault)) return pattern;
  return { ...pattern, predicates: pattern.predicates.filter((p) => !isDefault(p)) };
}

function filterColumns(patterns: AccessPattern[]): string[] {
  return [...new Set(patterns.flatMap((p) => [...p.predicates.map((x) => x.column ?? x.expression), ...p.orderBy.map((o) => o.column ?? o.expression ?? (o.distance ? orderTermText(o) : undefined))].filter((c): c is string => !!c)))];
}

function uncoveredForeignKeys(table: Table): ForeignKey[] {
  const indexes = indexesOf(table);
  return table.foreignKeys.filter((fk) => indexes.every((index) => whyIndexCannotServe(index, fk.columns) !== null));
}

/**
 * IMPORTANT or ROUTINE for an unserved query, and for IMPORTANT the reason in words: a size hint of LARGE_TABLE_ROWS or
 * more, or, with no hint, no index on the leading column, growth evidence (table-evidence.ts) and a query whose scan
 * costs most (a LIMITed lookup by the leading column, a cron job, an UPDATE or DELETE).
 */
function severityOf(context: RuleContext, table: Table, rec: Recommendation): { severity: "important" | "routine"; why?: string } {
  const rows = tableHint(context.config, table.schema, table.name)?.rows;
  if (rows !== undefined) {
    return rows >= LARGE_TABLE_ROWS ? { severity: "important", why: `${table.name} is expected to hold ${rows.toLocaleString("en-US")} rows (size hint)` } : { severity: "routine" };
  }
  const leading = rec.keys[0]?.column ?? rec.keys[0]?.expression;
  // An index a generic plan cannot use (its WHERE relies on parameter values) does not count.
  const blocked = new Set(rec.parameterBlocked.map((b) => b.index));
  const unindexed = !indexesOf(table).some((i) => !blocked.has(i) && i.keys.some((k) => keyLabel(k) === leading));
  if (!unindexed) return { severity: "routine" };
  // IMPORTANT without a size hint needs evidence that the table grows (table-evidence.ts).
  const grows = growth(context, table);
  if (!grows) return { severity: "routine" };
  const lookup = rec.patterns.find((p) => p.limited && p.predicates.some((q) => q.op === "eq" && (q.column ?? q.expression) === leading));
  const cron = rec.patterns.find((p) => p.source === "cron");
  const write = rec.patterns.find((p) => p.kind === "update" || p.kind === "delete");
  const risky = lookup
    ? `a lookup by ${leading} that wants a few rows reads the whole table instead (${lookup.location.file}:${lookup.location.line})`
    : cron
      ? `a scheduled job reads the whole table on every run (${cron.location.file}:${cron.location.line})`
      : write
        ? `an ${write.kind.toUpperCase()} reads the whole table to find the rows it changes (${write.location.file}:${write.location.line})`
        : null;
  return risky ? { severity: "important", why: `${grows.text}, and ${risky}` } : { severity: "routine" };
}

/**
 * For a read, the sweep it is part of, or null: a bulk UPDATE or DELETE of another table at the same
 * statement (a Prisma relation filter, a subquery) that no selective key narrows, only time cut-offs
 * (`updated_at < $1`, a boolean), while the read itself is filtered by time ranges alone. Such a statement
 * marks or removes whatever crossed the cut-offs: a scheduled clean-up, not a request.
 */
function sweeps(context: RuleContext, fewValued: ReturnType<typeof fewValuedColumns>): (p: AccessPattern, table: Table) => AccessPattern | null {
  const writes = new Map<string, AccessPattern[]>();
  const at = (p: AccessPattern) => `${p.location.file}|${p.location.line}|${p.location.column}`;
  for (const w of context.patterns) {
    if (w.kind !== "update" && w.kind !== "delete") continue;
    const table = findPatternTable(context.schema, w);
    if (!table) continue;
    const keyed = w.predicates.some((q) => (q.op === "eq" || q.op === "in") && !(q.column && fewValued(table, q.column)));
    const timed = w.predicates.some((q) => q.op === "range" && isTimeColumn(table, q.column));
    if (keyed || !timed) continue;
    writes.set(at(w), [...(writes.get(at(w)) ?? []), w]);
  }
  return (p, table) => {
    if (p.kind !== "select" || writes.size === 0) return null;
    const w = writes.get(at(p))?.find((x) => findPatternTable(context.schema, x) !== table);
    if (!w) return null;
    const only = p.predicates.length > 0 && p.predicates.every((q) => (q.op === "range" && isTimeColumn(table, q.column)) || (q.column !== undefined && fewValued(table, q.column)));
    return only ? w : null;
  };
}

function sizeNote(context: RuleContext, table: Table): string {
  const rows = tableHint(context.config, table.schema, table.name)?.rows;
  return rows === undefined
    ? `${table.name} has no size hint; add one under \`tables:\` in the configuration to weigh this finding.`
    : `${table.name} is expected to hold ${rows.toLocaleString("en-US")} rows.`;
}

/**
 * True when every query of the recommendation can already reach the recommended leading column
 * through an existing index, by skip scan or as a filter inside it: the new index is an improvement,
 * not a rescue, and the finding is NOTED.
 */
function alreadyReachable(rec: Recommendation, matches: Map<AccessPattern, PatternMatch>): PatternMatch[] | null {
  const leading = rec.keys[0]?.column ?? rec.keys[0]?.expression;
  const found: PatternMatch[] = [];
  for (const p of rec.patterns) {
    const m = matches.get(p);
    if (!m || m.verdict !== "partial" || !m.best) return null;
    const reaches = m.best.access === "skip-scan" ? m.best.filterKeys.includes(leading ?? "") : false;
    if (!reaches) return null;
    found.push(m);
  }
  return found;
}

function recommendationFinding(
  context: RuleContext,
  table: Table,
  rec: Recommendation,
  matches: Map<AccessPattern, PatternMatch>,
  underServed: Map<AccessPattern, IndexMatch>,
  partly: Map<AccessPattern, PartlyServed>,
  sweepOf: (p: AccessPattern) => AccessPattern | null = () => null,
  enumLike: FewValued = () => false,
): FindingDraft {
  const sites = rec.patterns.map((p) => p.location).sort(bySource);
  const columns = rec.keys.map((k) => k.column ?? k.expression ?? "?");
  const method = rec.index.method.toLowerCase();
  const keyText =
    method !== "btree"
      ? `(${rec.keys.map((k) => `${k.column ?? k.expression}${k.opclass ? ` ${k.opclass}` : ""}`).join(", ")}) USING ${method}`
      : `(${columns.join(", ")})${rec.where ? ` WHERE ${rec.where}` : ""}`;
  const qualified = qualifiedTableName(table);
  const filtered = filterColumns(rec.patterns);
  const blocked = rec.parameterBlocked.length > 0;
  const weak = rec.patterns.map((p) => underServed.get(p)).filter((m): m is IndexMatch => m !== undefined);
  const them = rec.patterns.length > 1 ? "them" : "it";
  const lead = rec.keys[0]?.column ?? rec.keys[0]?.expression ?? "";
  const served = weak.length
    ? `the only index the planner can use, ${[...new Set(weak.map((m) => m.index.name))].join(", ")}, searches by ${[...new Set(weak.flatMap((m) => m.boundKeys))].join(", ")}, not by ${lead}, which alone finds the row`
    : rec.patterns.some((p) => partly.has(p))
      ? `${[...new Set(rec.patterns.map((p) => partly.get(p)?.match.index.name).filter(Boolean))].join(", ")} serves ${rec.patterns.filter((p) => partly.has(p)).length} of them only in part and no index serves the other ${rec.patterns.filter((p) => !partly.has(p)).length}`
      : `no index serves ${them}`;
  let message = `${callers(rec.patterns)} ${pluralCallers(rec.patterns) ? "filter" : "filters"} \`${table.name}\` by ${filtered.join(", ")} and ${served}: add ${rec.name} on ${keyText}.`;
  if (rec.replaces.length > 0) message += ` It replaces ${rec.replaces.map((r) => r.name).join(", ")}.`;
  if (blocked) {
    message += ` ${rec.parameterBlocked.map((b) => b.index.name).join(", ")} looks as if it serves ${rec.patterns.length > 1 ? "them" : "it"}, but its WHERE compares ${[...new Set(rec.parameterBlocked.flatMap((b) => b.columns))].join(", ")} with constants the client sends as parameters: a generic plan cannot use it, so PostgreSQL may stop using it.`;
  }

  // A LIMIT without ORDER BY over an open-ended range: the index serves it only once the query orders by the range (open-range.ts).
  // A pattern whose ORDER BY earlyStop() left out has one in the code: it gets no ORDER BY advice.
  const ordering = rec.index.method.toLowerCase() === "btree" && rec.where === null ? rec.patterns.map((p) => (orderWhy.has(p) ? null : openRangeOrder(p, rec.keys, table, enumLike, context.schema))) : [];
  const needOrder = ordering.filter((o): o is RangeOrder => o !== null);
  let reachable = alreadyReachable(rec, matches);
  if (reachable) {
    message = `${callers(rec.patterns)} on \`${table.name}\` (${filtered.join(", ")}) can use ${reachable[0].best!.index.name} only by a skip scan over its leading column: ${rec.name} on ${keyText} would bound the scan.`;
  }
  // Every query served, but only in part (coverage.ts): an extension of the index it has.
  const parts = rec.patterns.map((p) => partly.get(p));
  const allPartly = parts.every((p): p is PartlyServed => p !== undefined);
  let partlySeverity: "routine" | "noted" | null = null;
  let unbounded: string | null = null;
  let notedWhy: string | null = null;
  if (allPartly && parts.every((p) => p.kind === "order-skip-scan")) {
    reachable = parts.map((p) => matches.get(rec.patterns[parts.indexOf(p)])!);
    const used = [...new Set(parts.map((p) => p.match.index.name))].join(", ");
    message = `${callers(rec.patterns)} on \`${table.name}\` (${filtered.join(", ")}) can use ${used} for the ORDER BY, and reach ${[...new Set(parts.flatMap((p) => p.unbound))].join(", ")} in it only by a skip scan over its leading column: ${rec.name} on ${keyText} would bound the scan.`;
  } else if (allPartly && parts.every((p) => p.kind === "few-values")) {
    // The index binds only few-valued columns: the query is as good as unserved.
    const used = [...new Set(parts.map((p) => p.match.index.name))].join(", ");
    const bound = [...new Set(parts.flatMap((p) => (p.kind === "few-values" ? p.bound : [])))];
    message = `${callers(rec.patterns)} on \`${table.name}\` (${filtered.join(", ")}): ${used} searches by ${bound.join(", ")} alone, which ${bound.length > 1 ? "have" : "has"} few distinct values, so it does not narrow the scan. Add ${rec.name} on ${keyText}.`;
  } else if (allPartly) {
    const growthSeen = keyGrowth(context, table, rec.patterns, parts, columns);
    unbounded = growthSeen.routine ? growthSeen.evidence : null;
    // The read's own range is what grows: with no bound on one side it takes in every row that crossed the other.
    if (unbounded && needOrder.length === rec.patterns.length) {
      const o = needOrder[0];
      unbounded = `the range on ${o.column} has no ${o.side === "upper" ? "lower" : "upper"} bound, so it takes in every row whose ${o.column} ${o.side === "upper" ? "has passed" : "lies beyond it"}, however old`;
    }
    notedWhy = growthSeen.routine ? null : growthSeen.why;
    partlySeverity = unbounded ? "routine" : "noted";
    const combined = [...new Set(parts.flatMap((p) => (p.kind === "partly" ? (p.combined ?? []) : [])).map((m) => m.index.name))];
    const anded = new Set(parts.flatMap((p) => (p.kind === "partly" ? (p.combined ?? []) : [])).map((m) => m.index.keys[0]?.column));
    const usedNames = [...new Set(parts.map((p) => p.match.index.name))];
    const used = combined.length ? [...new Set([...usedNames, ...combined])].join(" and ") : usedNames.join(", ");
    const unbound = [...new Set(parts.flatMap((p) => p.unbound))].filter((c) => !anded.has(c));
    const orderOnly = parts.some((p) => p.kind === "order-only");
    const unsorted = parts.some((p) => p.kind === "partly" && p.unsorted);
    const bound = [...new Set(parts.flatMap((p) => (p.kind === "partly" ? p.match.boundKeys : [])).concat([...anded].filter((c): c is string => !!c)))];
    const undone = [
      unbound.length ? `checks ${unbound.join(", ")} on every row it reads` : "",
      unsorted ? "sorts them all for the ORDER BY before the LIMIT applies" : "",
    ].filter(Boolean).join(" and ");
    message = orderOnly
      ? `${callers(rec.patterns)} on \`${table.name}\` (${filtered.join(", ")}): ${used} only supplies the ORDER BY, so the scan reads ${table.name} in that order and checks ${unbound.join(", ")} on each row; for a rare value that is the whole table. Add ${rec.name} on ${keyText}.`
      : combined.length
      ? `${callers(rec.patterns)} on \`${table.name}\` (${filtered.join(", ")}): the planner combines ${used} in a BitmapAnd to find the rows by ${bound.join(", ")}${undone ? `, then ${undone.replace(/sorts them all/, "sorts all the matches")}` : ""}${unbounded ? `; ${unbounded}` : ""}. Add ${rec.name} on ${keyText}.`
      : `${callers(rec.patterns)} on \`${table.name}\` (${filtered.join(", ")}): ${used} ${bound.length ? `finds the rows by ${bound.join(", ")} only` : "narrows the rows little"} and ${undone}${unbounded ? `; ${unbounded}` : ""}. Add ${rec.name} on ${keyText}.`;
    if (!orderOnly && !unbounded) partlySeverity = "noted";
    else if (orderOnly) partlySeverity = isKnownSmall(context.config, table) ? "noted" : "routine";
  }
  // The first rows of the whole table by an ORDER BY, with no filter (a settings row, the oldest account): without an
  // index the planner sorts every row, which matters only once the table is large.
  const wholeTable = !allPartly && !reachable && !blocked && rec.patterns.every((p) => p.predicates.length === 0 && !p.hasOr && p.limited && p.orderBy.length > 0 && p.joins.length === 0);
  let wholeTableNote: string | null = null;
  if (wholeTable) {
    const order = [...new Set(rec.patterns.flatMap((p) => p.orderBy.map(orderTermText)))].join(", ");
    message = `${callers(rec.patterns)} ${pluralCallers(rec.patterns) ? "read" : "reads"} the first rows of \`${table.name}\` by ${order} with no filter, and no index gives that order, so the planner reads and sorts every row: add ${rec.name} on ${keyText}.`;
    const grows = !isKnownSmall(context.config, table) && growth(context, table) !== null;
    if (!grows) {
      partlySeverity = "noted";
      wholeTableNote = `NOTED: a read of the first rows of a whole table costs a sort of every row, which is cheap until the table is large, and nothing shows ${table.name} growing without bound (${isKnownSmall(context.config, table) ? "its size hint says it is small" : noGrowthSeen(context, table)}). Tables read this way are often settings or single-tenant tables of a few rows; a size hint for ${table.name} (\`rows\` of 100,000 or more, or \`append-only: true\`) makes it ROUTINE.`;
    }
  }
  if (needOrder.length > 0) {
    const o = needOrder[0];
    const all = needOrder.length === rec.patterns.length;
    const target = all ? (rec.patterns.length > 1 ? "these queries" : "the query") : `${needOrder.length} of these queries`;
    const clause = `, and order ${target} by ${o.column} (\`${o.code}\`): without that ORDER BY a generic plan reads ${table.name} from the start, with or without the index.`;
    const at = message.lastIndexOf(` on ${keyText}.`);
    message = at >= 0 ? `${message.slice(0, at + keyText.length + 4)}${clause}${message.slice(at + keyText.length + 5)}` : `${message} ${rec.name} serves ${target} only with an ORDER BY on ${o.column} (\`${o.code}\`).`;
  }
  const why: string[] = [];
  for (const p of rec.patterns) {
    const m = matches.get(p);
    const where = p.functionName ? `\`${p.functionName}()\` (${p.location.file}:${p.location.line})` : `${p.location.file}:${p.location.line}`;
    const described = describePattern(p);
    const filter = described ? `${described}${p.hasOr ? " AND an OR filter" : ""}` : p.hasOr ? "an OR filter" : "no filter";
    const closest = m?.best ? m.best.reason : m?.matches.filter((x) => x.parameterBlockedColumns).map((x) => x.reason)[0];
    const order = orderWhy.get(p);
    const joined = joinWhy.get(p);
    const optional = optionalWhy.get(p);
    const optionalText = optional
      ? `; ${optional.join(", ")} ${optional.length > 1 ? "are" : "is"} optional (a value that may be undefined, which the client then leaves out, or a filter added on some code paths), so the index does not lead with ${optional.length > 1 ? "them" : "it"} and the scan checks ${optional.length > 1 ? "them" : "it"} on the fetched rows when given`
      : "";
    const needs = ordering[rec.patterns.indexOf(p)];
    const needsText = needs ? `; needs \`${needs.code}\` for the index to serve it` : "";
    why.push(`- ${where}: ${p.kind} where ${filter}${p.orderBy.length ? ` order by ${p.orderBy.map(orderTermText).join(", ")}` : ""}${p.limited ? " limited" : ""}${joined ? `, ${joined}` : ""}${closest ? `; ${closest}` : ""}${order ? `; its ORDER BY is left out: ${order}` : ""}${needsText}${optionalText}`);
  }
  const paragraphs = [
    allPartly
      ? `An index the planner can use already exists, but it leaves part of the work to row-by-row checks or a sort; the recommended index keeps the equality columns first, then the range or ORDER BY column, so the scan reads only the wanted rows in order. ${partlySeverity === "noted" && !isKnownSmall(context.config, table) ? `NOTED: ${notedWhy ?? "nothing shows the rows of one key growing without bound (no time window or latest-N query, no size hint)"}; a size hint for ${table.name} makes it ROUTINE (\`rows\` of 100,000 or more, or \`append-only: true\`).` : sizeNote(context, table)}`
      : weak.length
      ? `The planner can only narrow ${rec.patterns.length > 1 ? "these queries" : "this query"} by ${[...new Set(weak.flatMap((m) => m.boundKeys))].join(", ")} and then reads every row that matches. ${sizeNote(context, table)}`
      : `Without an index the planner reads every row of ${qualified} for ${rec.patterns.length > 1 ? "each of these queries" : "this query"}. ${sizeNote(context, table)}`,
    `Call sites this index serves:\n${why.join("\n")}`,
    `Why this index: ${rec.reasons.join(". ")}.`,
  ];
  if (wholeTableNote) paragraphs.push(wholeTableNote);
  if (needOrder.length > 0) paragraphs.push(openRangeParagraph(needOrder[0], rec, table, matches));
  if (rec.foreignKeys.length > 0) paragraphs.push(`It also covers foreign key ${rec.foreignKeys.map((f) => `${f.name} (${f.columns.join(", ")})`).join(", ")}.`);
  // Reads inside a sweep (a bulk UPDATE or DELETE keyed by nothing but time cut-offs) run once per run of the job.
  const swept = rec.patterns.map(sweepOf);
  const sweep = swept.length > 0 && swept.every((w) => w !== null) && rec.foreignKeys.length === 0;
  if (sweep) {
    const w = swept[0]!;
    paragraphs.push(
      `NOTED: ${rec.patterns.length > 1 ? "these reads are" : "this read is"} part of a sweep, the ${w.kind.toUpperCase()} of ${w.table} at ${w.location.file}:${w.location.line}, which no key narrows, only time cut-offs: a job that runs now and then, not a request. It reads the rows of one time range once per run; an index for it costs every write of ${table.name} and is worth it only if the job is slow on production data.`,
    );
  }
  // Queries only one-off code makes (a backfill, a data migration in code) do not justify a permanent index.
  const oneOff = rec.patterns.map((p) => oneOffKind(p.location.file));
  const onlyOneOff = oneOff.length > 0 && oneOff.every((k) => k !== null) && rec.foreignKeys.length === 0;
  if (onlyOneOff) paragraphs.push(`NOTED: ${oneOffNote(oneOff[0]!)} A permanent index costs every later write; run the job at a quiet time instead, or build the index for it and drop it afterwards.`);
  // A function whose result is cached across requests runs its query once per cache lifetime, not per request.
  const onlyCached = !onlyOneOff && rec.patterns.length > 0 && rec.patterns.every((p) => p.cachedBy) && rec.foreignKeys.length === 0;
  if (onlyCached) {
    const first = rec.patterns[0]!;
    paragraphs.push(
      `NOTED: ${first.functionName ? `\`${first.functionName}()\`` : "the function that sends it"} caches its result across requests (${first.cachedBy}${rec.patterns.length > 1 ? ", as do the other call sites" : ""}), so the query runs once per cache lifetime, not once per request: worth an index only if that one run is slow on production data.`,
    );
  }
  // Pending: a file of this set's migrations that has not run yet (a file outside the set's list is no migration of it).
  const settled = (file: string) => isSettledMigrationFile(context.set, file) || !context.set.files.some((f) => f.path === file);
  const judged = reachable || onlyOneOff || onlyCached || sweep || partlySeverity ? null : severityOf(context, table, rec);
  // A lookup table (a handful of rows, written by a seed at most) is read whole faster than through an index.
  // (A size hint weighs the finding itself, in severityOf.)
  const lookup = judged && !judged.why && tableHint(context.config, table.schema, table.name)?.rows === undefined ? lookupShape(context, table) : null;
  const severity = reachable || onlyOneOff || onlyCached || sweep || lookup ? "noted" : (partlySeverity ?? judged!.severity);
  if (judged?.why) paragraphs.splice(1, 0, `IMPORTANT because ${judged.why}.`);
  if (lookup) {
    paragraphs.splice(1, 0, `NOTED because ${lookup}: a table of a handful of rows is read whole faster than through an index, and the planner keeps its sequential scan. A size hint for ${table.name} (\`rows\` of 100,000 or more) makes it ROUTINE.`);
  }
  // A NOTED extension is an option, not a verdict: the index that works today stays until the new one has
  // proved itself, so the fix only adds.
  const keep = severity === "noted" && rec.replaces.length > 0;
  let sql = rec.sql;
  if (keep) {
    const why = paragraphs.findIndex((x) => x.startsWith("Why this index: "));
    if (why >= 0) paragraphs[why] = `Why this index: ${rec.reasons.filter((r) => !/^replaces .*a left prefix of this index/.test(r)).join(". ")}.`;
    const dropped = new Set(rec.replaces.map((r) => r.name));
    sql = rec.sql.split("\n").filter((line) => !(/^DROP INDEX/.test(line) && [...dropped].some((n) => line.includes(n)))).join("\n");
    paragraphs.push(`The fix keeps ${rec.replaces.map((r) => r.name).join(", ")}, which serves these queries today; once ${rec.name} is in place, ${rec.replaces.length > 1 ? "they are left prefixes" : "it is a left prefix"} of it and can be dropped.`);
  }
  const placed = placeIndexFix(context.statements, table, sites[0], sql, settled);
  if (placed.note) paragraphs.push(placed.note);
  return {
    rule: RULE_ID,
    severity,
    ...(reachable ? { title: "Index reachable only by skip scan" } : {}),
    table: qualified,
    columns,
    message,
    location: sites[0],
    related: sites.slice(1),
    fix: placed.fix,
    details: paragraphs.join("\n\n"),
    key: `${columns.join(",")}${rec.where ? ` WHERE ${rec.where}` : ""}`,
  };
}

function partialFindings(table: Table, entries: Array<{ pattern: AccessPattern; match: PatternMatch }>): FindingDraft[] {
  const groups = new Map<string, Array<{ pattern: AccessPattern; match: PatternMatch }>>();
  for (const e of entries) {
    const best = e.match.best!;
    const id = `${best.index.name}|${best.access}`;
    groups.set(id, [...(groups.get(id) ?? []), e]);
  }
  const findings: FindingDraft[] = [];
  for (const group of groups.values()) {
    const best = group[0].match.best!;
    const patterns = group.map((g) => g.pattern);
    const sites = patterns.map((p) => p.location).sort(bySource);
    const how = best.access === "skip-scan" ? "only by a skip scan" : "only as a full scan that filters rows";
    const columns = filterColumns(patterns);
    findings.push({
      rule: RULE_ID,
      severity: "noted",
      table: qualifiedTableName(table),
      columns,
      message: `${callers(patterns)} on \`${table.name}\` (${columns.join(", ")}) can use ${best.index.name} ${how}: ${best.reason}.`,
      title: best.access === "skip-scan" ? "Index reachable only by skip scan" : "Index usable only as a filter",
      location: sites[0],
      related: sites.slice(1),
      details:
        best.access === "skip-scan"
          ? `PostgreSQL 18 can skip through the distinct values of the unconstrained leading column, which is cheap only when that column has few distinct values. An index that leads with the filtered column would bound the scan directly.`
          : `The planner reads the index from one end and checks each row; with a LIMIT and rows that match early this is quick, otherwise it reads the whole index.`,
      key: `partial:${best.index.name}:${best.access}`,
    });
  }
  return findings;
}

function castFinding(table: Table, pattern: AccessPattern, cast: NonNullable<ReturnType<typeof castOnIndexedColumn>>, functions: DeclaredFunctions): FindingDraft {
  return {
    rule: RULE_ID,
    severity: "routine",
    title: "Cast hides the column from its index",
    table: qualifiedTableName(table),
    columns: [cast.column],
    message: `${callers([pattern])} compares \`${cast.expression}\` on \`${table.name}\`: the cast hides ${cast.column} from ${cast.index}, so the planner cannot use it. ${castAdvice({ ...cast, compared: pattern.predicates.find((p) => p.expression === cast.expression)?.compared, functions })}`,
    details: `An index on ${cast.column} is searched by comparisons of ${cast.column} itself. An expression index on \`${cast.expression}\` would work, but it duplicates ${cast.index} and costs every write; changing the query costs nothing.`,
    location: pattern.location,
    key: `cast:${cast.expression}`,
  };
}

export const queryIndex: Rule = {
  id: RULE_ID,
  description: "A query the application makes that no index serves, with the index (column order, partial WHERE) that would.",
  defaultSeverity: "important",
  check(context: RuleContext): FindingDraft[] {
    const byTable = new Map<Table, AccessPattern[]>();
    const bySite = new Map<string, AccessPattern[]>();
    for (const p of context.patterns) {
      const id = `${p.location.file}|${p.functionName ?? ""}`;
      const list = bySite.get(id);
      if (list) list.push(p);
      else bySite.set(id, [p]);
    }
    // A join pinned on its other table is judged along its join path (query-index-joins.ts).
    let source = context.patterns;
    let paths = new Map<AccessPattern, { note: string }>();
    if (context.patterns.some((p) => p.joins.length > 0 || p.relationFilterOf)) {
      const joined = joinPaths(context.schema, context.patterns, fewValuedColumns(context.statements, context.schema.declared));
      source = joined.patterns;
      const originals = new Map(joined.patterns.map((p, i) => [p, context.patterns[i]]));
      paths = new Map(
        [...joined.paths].map(([p, path]) => {
          const table = findPatternTable(context.schema, p);
          return [p, { note: table ? joinPathNote(table, path, originals.get(p) ?? p) : "" }];
        }),
      );
    }
    const history = new Map<Table, boolean>();
    for (const raw of source) {
      if (suppressed(raw)) continue;
      const always = unconditional(raw);
      const home = always.limited && always.orderBy.length > 0 ? findPatternTable(context.schema, always) : null;
      const growing = home ? (history.get(home) ?? history.set(home, historyShape(context, home) !== null).get(home)!) : false;
      const stop = earlyStop(always, bySite.get(`${raw.location.file}|${raw.functionName ?? ""}`) ?? [], growing);
      const pattern = stop.pattern;
      if (stop.why) orderWhy.set(pattern, stop.why);
      const optional = [...new Set(raw.predicates.filter((p) => p.conditional).map((p) => p.column ?? p.expression ?? "?"))];
      if (optional.length) optionalWhy.set(pattern, optional);
      const path = paths.get(raw);
      if (path?.note) joinWhy.set(pattern, path.note);
      if (!indexable(pattern)) continue;
      const table = findPatternTable(context.schema, pattern);
      if (!table || platformOwned(table)) continue;
      // Appended in place: copying the list for every pattern is quadratic in a table's patterns.
      const list = byTable.get(table);
      if (list) list.push(pattern);
      else byTable.set(table, [pattern]);
    }
    // No pattern reaches a table: nothing to advise, and no need to collect every index name.
    if (byTable.size === 0) return [];
    const takenNames = new Set(context.schema.tables.flatMap((t) => t.indexes.map((i) => i.name)));
    const findings: FindingDraft[] = [];
    const defaults = literalDefaults(context.statements);
    const fewValued = fewValuedColumns(context.statements, context.schema.declared);
    let functions: DeclaredFunctions | undefined;
    const sweepOf = sweeps(context, fewValued);
    const enumLike = enumLikeColumns(context.statements, context.schema.declared);
    for (const [table, raw] of byTable) {
      const all = raw.map((p) => {
        const q = withoutDefaultFilters(p, table, defaults);
        const why = orderWhy.get(p);
        if (why) orderWhy.set(q, why);
        const joined = joinWhy.get(p);
        if (joined) joinWhy.set(q, joined);
        const optional = optionalWhy.get(p);
        if (optional) optionalWhy.set(q, optional);
        return q;
      });
      const patterns: AccessPattern[] = [];
      for (const p of all) {
        const cast = castOnIndexedColumn(table, p);
        if (cast) findings.push(castFinding(table, p, cast, (functions ??= declaredFunctions(context.statements))));
        else patterns.push(p);
      }
      if (patterns.length === 0) continue;
      const advice = adviseTable(table, patterns, {
        fewValued,
        uncoveredForeignKeys: uncoveredForeignKeys(table),
        rowsOf: (schema, name) => tableHint(context.config, schema, name)?.rows,
        takenNames,
        schema: context.schema,
      });
      for (const r of advice.recommendations) takenNames.add(r.name);
      const matches = new Map(advice.matches.map((m) => [m.pattern, m.match]));
      for (const rec of advice.recommendations) findings.push(recommendationFinding(context, table, rec, matches, advice.underServed, advice.partlyServed, (p) => sweepOf(p, table), enumLike));
      const unplaced = new Set(advice.unplaced);
      findings.push(...partialFindings(table, advice.matches.filter((m) => m.match.verdict === "partial" && unplaced.has(m.pattern))));
      const recommended = new Set(advice.recommendations.flatMap((r) => r.patterns));
      findings.push(...genericPlanFindings(context, table, advice.matches.filter((m) => m.match.verdict === "served" && !recommended.has(m.pattern)), takenNames));
    }
    return findings;
  },
};

