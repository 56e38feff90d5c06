// How many rows one key of a partly served query holds, as far as the audit can tell: the evidence that
// decides whether extending an index that already finds the rows by the query's key is worth a ROUTINE
// finding, or only a NOTED one.
//
// An index on `(team_id)` already finds a team's rows; when the query also wants them in time order, or
// within a time window, the extended `(team_id, created_at)` saves the sort or the row checks of that
// team's rows only. That pays when a team has thousands of rows (an event log written per request), and
// costs a second index on every write when it has a handful (a team's datarooms, one website's shares).
// So an extension that adds only the ORDER BY or range column needs evidence that the per-key set is
// large; a unique key or a time window the index already bounds says it is not.
import { tableHint } from "../core/config.js";
import type { AccessPattern, Table } from "../core/types.js";
import { determinedBy, type PartlyServed } from "../advisor/coverage.js";
import { targetOfPredicate } from "../advisor/predicates.js";
import { LARGE_TABLE_ROWS } from "./model.js";
import { patternsOn } from "./table-evidence.js";
import type { RuleContext } from "./rule.js";

/** Column names that say when a row was written or changed: `created_at`, `updatedAt`, `occurred_on`. */
const TIME_NAME = /(^|_)(created|updated|inserted|occurred|logged|recorded|received|sent|modified|deleted|timestamp)(_?(at|on|time|date|ts))?$|(_at|At|_on|_time|_date|_ts)$/;

/**
 * Last words of table names that say each row records an event: a log, a view, a run. Not messages: one
 * conversation's messages are a bounded set, read by their chat.
 */
const EVENT_WORD = /^(events?|logs?|executions?|runs?|views?|visits?|clicks?|hits?|notifications?|attempts?|deliver(y|ies)|activit(y|ies)|audits?|histor(y|ies)|traces?|spans?|metrics?|impressions?|requests?)$/i;

function eventName(table: Table): boolean {
  const words = table.name.split(/_|(?<=[a-z0-9])(?=[A-Z])/).filter(Boolean);
  return words.length > 0 && EVENT_WORD.test(words[words.length - 1]);
}

export function isTimeColumn(table: Table, column: string | undefined): boolean {
  if (!column) return false;
  if (TIME_NAME.test(column)) return true;
  const type = table.columns.find((c) => c.name === column)?.type ?? "";
  return /^(timestamp|date)/i.test(type);
}

/** The verdict on one recommendation: ROUTINE with the evidence quoted, or NOTED with the reason. */
export type KeyGrowth = { routine: true; evidence: string } | { routine: false; why: string };

function where(p: AccessPattern): string {
  return `${p.location.file}:${p.location.line}`;
}

/**
 * The unique key that bounds the rows of the query's equality columns, or null: a unique index or
 * primary key made of those columns plus foreign-key columns only (a link table such as a queue's
 * assignments, unique on (queue_id, user_id)), so one key holds at most one row per referenced row. A
 * unique key whose other columns are the row's own id or a time does not bound anything.
 */
export function boundingUniqueKey(table: Table, pattern: AccessPattern): string | null {
  const eq = new Set(pattern.predicates.filter((p) => (p.op === "eq" || p.op === "is-null") && !p.conditional).map(targetOfPredicate).filter((c): c is string => !!c));
  if (eq.size === 0) return null;
  const fkColumns = new Set(table.foreignKeys.filter((f) => f.columns.length === 1).map((f) => f.columns[0]));
  const keys: Array<{ name: string; columns: Array<string | undefined> }> = table.indexes.filter((i) => i.unique && i.where === null).map((i) => ({ name: i.name, columns: i.keys.map((k) => k.column) }));
  if (table.primaryKey) keys.push({ name: table.primaryKey.name, columns: table.primaryKey.columns });
  for (const key of keys) {
    if (key.columns.some((c) => c === undefined)) continue;
    const cols = key.columns as string[];
    const inKey = cols.filter((c) => eq.has(c));
    const rest = cols.filter((c) => !eq.has(c));
    if (inKey.length === 0 || rest.length === 0) continue;
    if (rest.every((c) => fkColumns.has(c) && !isTimeColumn(table, c))) {
      return `${key.name} is unique on (${cols.join(", ")}), so the rows of one ${inKey.join(", ")} are at most one per ${rest.join(", ")}: a bounded set`;
    }
  }
  return null;
}

/** The time column whose range the index the planner uses already bounds, after the key's equality columns, or null. */
function boundWindow(table: Table, pattern: AccessPattern, part: PartlyServed): string | null {
  if (part.kind !== "partly") return null;
  const bound = part.match.boundKeys;
  const last = bound[bound.length - 1];
  if (bound.length < 2 || !isTimeColumn(table, last)) return null;
  const hasEq = pattern.predicates.some((p) => (p.op === "eq" || p.op === "in") && targetOfPredicate(p) === bound[0]);
  const ranged = pattern.predicates.some((p) => p.op === "range" && targetOfPredicate(p) === last);
  return hasEq && ranged ? last : null;
}

/**
 * The code's own evidence that the table is an event history, whose rows per key keep growing: it inserts
 * and never updates (deleting only by age), or its name says each row records an event (`audit_logs`,
 * `page_views`) and the code inserts into it.
 */
export function historyShape(context: RuleContext, table: Table): string | null {
  const patterns = patternsOn(context, table);
  const inserts = patterns.filter((p) => p.kind === "insert" || p.kind === "upsert");
  if (inserts.length === 0) return null;
  const byAge = (p: AccessPattern) => p.predicates.length > 0 && p.predicates.every((q) => q.op === "range" && isTimeColumn(table, q.column));
  const deletes = patterns.filter((p) => p.kind === "delete");
  if (!patterns.some((p) => p.kind === "update" || p.kind === "upsert") && deletes.every(byAge)) {
    return `the code inserts into ${table.name} (${where(inserts[0])}) and never updates its rows${deletes.length ? `, deleting them only by age (${where(deletes[0])})` : ""}: an append-only history`;
  }
  if (eventName(table)) return `${table.name} is named for events or runs, one row per occurrence, and the code inserts into it (${where(inserts[0])}), so each key's rows keep growing`;
  return null;
}

/** `ORDER BY created_at DESC, id DESC ... LIMIT`: a time order with the primary key as tie-breaker, the stable order of a paged listing. */
function pagedListing(table: Table, pattern: AccessPattern): string | null {
  if (!pattern.limited || pattern.orderBy.length < 2 || !isTimeColumn(table, pattern.orderBy[0].column)) return null;
  const pk = table.primaryKey?.columns ?? [];
  const tail = pattern.orderBy.slice(1).map((o) => o.column);
  if (pk.length === 0 || !pk.every((c) => tail.includes(c))) return null;
  return `${pattern.functionName ? `\`${pattern.functionName}()\`` : where(pattern)} pages through one key's rows in ${pattern.orderBy.map((o) => o.column).join(", ")} order, a listing that outgrows one page`;
}

/** Tables whose row is a person: their name, singular and lower-cased. */
const PERSON_TABLES = new Set(["user", "viewer", "member", "person", "people", "contact", "customer", "visitor", "profile", "participant", "invitee", "recipient"]);

/** A column that references, by a foreign key of its own, a table whose row is a person (`viewer_id` → `viewers`). */
function personKey(table: Table, column: string): boolean {
  const fk = table.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === column);
  if (!fk) return false;
  const name = fk.references.table.toLowerCase().replace(/^.*[_.]/, "").replace(/s$/, "");
  return PERSON_TABLES.has(name);
}

/**
 * Whether the rows of one key grow without bound, for an index that already finds the rows by some
 * columns (`parts`, coverage.ts partlyServed) and a recommendation keyed by `keys`:
 * - a size hint decides first: 100,000 rows or more, or `append-only: true`, is evidence; fewer rows is not;
 * - a query whose equality columns a unique key bounds (boundingUniqueKey), or whose time window the used
 *   index already bounds after the key (one key's rows in that window), reads a bounded set: no evidence;
 * - when only the ORDER BY or a range column is left (the index finds the rows by all the query's selective
 *   equality columns, alone or ANDed in a bitmap scan with one index per other column), evidence is the table's shape (an append-only or event history) or a paged listing;
 * - when a selective equality filter is left too, a time window or the latest N (newest first) on a time
 *   column the recommended index keys is evidence, as before.
 */
export function keyGrowth(context: RuleContext, table: Table, patterns: AccessPattern[], parts: PartlyServed[], keys: string[]): KeyGrowth {
  const hint = tableHint(context.config, table.schema, table.name);
  if (hint?.rows !== undefined && hint.rows < LARGE_TABLE_ROWS) return { routine: false, why: `the size hint says ${table.name} holds ${hint.rows.toLocaleString("en-US")} rows` };
  const large = hint?.rows !== undefined ? `${table.name} is expected to hold ${hint.rows.toLocaleString("en-US")} rows (size hint)` : null;
  const reasons: string[] = [];
  for (let i = 0; i < patterns.length; i++) {
    const p = patterns[i];
    const part = parts[i];
    const unique = boundingUniqueKey(table, p);
    if (unique) {
      reasons.push(unique);
      continue;
    }
    const window = boundWindow(table, p, part);
    if (window && !large) {
      reasons.push(`the index the planner uses already bounds the scan to one key's rows within a window of ${window}, a bounded read`);
      continue;
    }
    if (large) return { routine: true, evidence: large };
    if (hint?.appendOnly) return { routine: true, evidence: `${table.name} is append-only (size hint), so each key's rows grow without bound` };
    const ranges = new Set(p.predicates.filter((q) => q.op === "range").map(targetOfPredicate));
    // Equality columns another index finds in a BitmapAnd (coverage.ts) are not left to row checks.
    const combined = new Set(part.kind === "partly" ? (part.combined ?? []).map((m) => m.index.keys[0]?.column) : []);
    // A column the query only tests for NULL is no key: at most a partial index's WHERE, which pays only when most
    // of the rows the index finds fail the test. Not under a range: a sweep's open range (`expires_at <= now() AND
    // notified_at IS NULL`) reads every row it has already handled, and those fail the test.
    const ranged = p.predicates.some((q) => q.op === "range");
    const nullTested = (c: string) => {
      const on = p.predicates.filter((q) => targetOfPredicate(q) === c);
      return !ranged && on.length > 0 && on.every((q) => q.op === "is-null" || q.op === "is-not-null");
    };
    const keyLeft = part.kind === "partly" && part.unbound.some((c) => !ranges.has(c) && !combined.has(c) && !nullTested(c));
    if (part.kind === "partly" && !keyLeft && !part.unsorted && part.unbound.some(nullTested) && part.unbound.every((c) => nullTested(c) || combined.has(c))) {
      const tests = part.unbound.filter(nullTested);
      reasons.push(`the index the planner uses already finds the rows in order and leaves only the NULL test on ${tests.join(", ")} to row checks; a partial index pays only when most rows fail that test, and nothing shows that they do`);
      continue;
    }
    if (!keyLeft) {
      // Evidence counts only for a query the new index does more for: it keys the range or ORDER BY column left undone.
      // The new index reaches a column only after keys this query binds by equality: `(a, b, t)` does not
      // bound `a = $1 AND t >= $2`.
      const equal = new Set(p.predicates.filter((q) => q.op === "eq" || q.op === "in").map((q) => q.column));
      const reaches = (c: string) => keys.includes(c) && keys.slice(0, keys.indexOf(c)).every((k) => equal.has(k));
      const helps = part.kind === "partly" && (part.unbound.some((c) => reaches(c) && !combined.has(c)) || (part.unsorted && p.orderBy.some((o) => o.column !== undefined && reaches(o.column))));
      if (!helps) continue;
      // After a BitmapAnd that keys one person's rows (a viewer's, a user's) together with an independent key,
      // only that person's rows for the other key are left: they grow at a person's pace, so the table's shape
      // is no evidence, only a size hint is. A pair of machine keys (a trigger and its action) keeps a history
      // that grows without bound; and when one key fixes the other through a foreign key (a group of one room),
      // the pair is one key's rows.
      const found = part.kind === "partly" ? [...new Set([...part.match.boundKeys, ...combined].filter((c): c is string => !!c))] : [];
      const personal =
        combined.size > 0 && found.some((c) => personKey(table, c)) && !found.some((c) => determinedBy(context.schema, table, c, found.filter((o) => o !== c)));
      const shape = personal ? null : (historyShape(context, table) ?? pagedListing(table, p));
      if (shape) return { routine: true, evidence: shape };
      reasons.push(`the index already finds one key's rows, and nothing shows one key holding many (an append-only or event history, a paged listing, a size hint)`);
      continue;
    }
    const range = p.predicates.find((q) => q.op === "range" && isTimeColumn(table, q.column) && keys.includes(q.column!));
    if (range) return { routine: true, evidence: `the query reads a time window of ${range.column}, and each key's history grows without bound` };
    // The latest N (newest first) reads a history; the first row by time (a team's first template) picks
    // one row of a small set. Only when the time column leads the ORDER BY: `usage_count DESC, last_used_at
    // DESC` reads the most used, not the latest.
    const first = p.orderBy[0];
    if (p.limited && first?.descending && isTimeColumn(table, first.column) && keys.includes(first.column!)) {
      return { routine: true, evidence: `the query reads the latest rows by ${first.column}, and each key's history grows without bound` };
    }
    reasons.push(`nothing shows the rows of one key growing without bound (no time window or latest-N query on the new index's columns, no size hint)`);
  }
  // The bounded-set reasons first (a unique key, a window): they say most.
  const ordered = [...new Set(reasons)].sort((a, b) => Number(a.startsWith("nothing") || a.startsWith("the index already")) - Number(b.startsWith("nothing") || b.startsWith("the index already")));
  return { routine: false, why: ordered[0] ?? "nothing shows the rows of one key growing without bound" };
}
