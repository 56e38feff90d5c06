// A join whose other table is pinned by an equality, judged along the path the planner takes.
//
// `messages JOIN chats ON messages.chat_id = chats.id WHERE chats.user_id = $1 AND messages.created_at >= $2
// AND messages.role = $3`: the planner finds the user's chats through an index on chats(user_id), then, for
// each chat, that chat's messages in the window through messages(chat_id, created_at), checking role on the
// few rows it fetches (a Nested Loop; checked in the planner tests under a generic plan). A global index on
// messages(role, created_at) reads every user's messages in the window, and once the two path indexes exist
// the planner never picks it. So the query is judged as two lookups: the pinned table by its own key
// (without the join clause), and this table by its join column plus its range.
import type { AccessPattern, ColumnPredicate, Schema, Table } from "../core/types.js";
import { findPatternTable } from "../schema/lookup.js";
import type { FewValued } from "../advisor/coverage.js";

/** How a pattern was rewritten for its join path: the pinned table, the column that pins it, this table's join columns. */
export interface JoinPath {
  pinned: string;
  by: string[];
  columns: string[];
}

function sameSite(a: AccessPattern, b: AccessPattern): boolean {
  return a.location.file === b.location.file && a.location.line === b.location.line && a.location.column === b.location.column && a.functionName === b.functionName;
}

/**
 * The patterns with each pinned join rewritten (module comment), and, for a rewritten pattern, its join
 * path. A join counts as pinned when the other table's pattern at the same statement compares a column
 * outside the join with `=` (not a column with few values), and a foreign key of this table references
 * exactly the join's columns there. This table's pattern then becomes an equality on the foreign key's
 * columns plus its ranges and tests; its other equality filters are checked on the rows of one parent in
 * that range. The pinned table's pattern loses the join clause, which no longer bounds it. A pattern with
 * no filter of its own, or with an equality an index of its table already searches by, is left as it is.
 */
export function joinPaths(schema: Schema, patterns: AccessPattern[], fewValued: FewValued): { patterns: AccessPattern[]; paths: Map<AccessPattern, JoinPath> } {
  const paths = new Map<AccessPattern, JoinPath>();
  const replaced = new Map<AccessPattern, AccessPattern>();
  for (const p of patterns) {
    if (p.joins.length === 0 || p.kind !== "select") continue;
    const table = findPatternTable(schema, p);
    if (!table) continue;
    // This side's own filters: an equality an index already searches by (a key the previous join step
    // binds, `environment.id = $1`) means this table is reached by that index, not through the join; and
    // with no filter of its own there is nothing to advise on this side.
    const leading = new Set([...table.indexes.map((i) => i.keys[0]?.column), table.primaryKey?.columns[0]].filter((c): c is string => !!c));
    const own = p.predicates.filter((q) => q.column && !(q.op === "eq" && fewValued(table, q.column)));
    if (own.length === 0 || own.some((q) => (q.op === "eq" || q.op === "in") && leading.has(q.column!))) continue;
    for (const join of p.joins) {
      const other = findPatternTable(schema, { table: join.table });
      if (!other || other === table) continue;
      const sibling = patterns.find((s) => s !== p && sameSite(s, p) && findPatternTable(schema, s) === other);
      if (!sibling) continue;
      const pins = sibling.predicates.filter((q) => q.op === "eq" && q.column && !join.columns.includes(q.column) && !fewValued(other, q.column) && !q.conditional);
      if (pins.length === 0) continue;
      const fk = table.foreignKeys.find(
        (f) => f.references.table === other.name && f.references.schema === other.schema && f.references.columns.length === join.columns.length && f.references.columns.every((c) => join.columns.includes(c)),
      );
      if (!fk) continue;
      const keyed = (q: ColumnPredicate) => (q.op === "eq" || q.op === "in") && !(q.column && fewValued(table, q.column));
      const rewritten: AccessPattern = {
        ...p,
        predicates: [...fk.columns.map((column): ColumnPredicate => ({ column, op: "eq", sentAs: "param" })), ...p.predicates.filter((q) => !keyed(q) && !(q.column && fk.columns.includes(q.column)))],
      };
      paths.set(rewritten, { pinned: other.name, by: pins.map((q) => q.column!), columns: fk.columns });
      replaced.set(p, rewritten);
      if (!replaced.has(sibling)) replaced.set(sibling, { ...sibling, predicates: sibling.predicates.filter((q) => !(q.op === "eq" && q.column && join.columns.includes(q.column))), limited: false });
      break;
    }
  }
  return { patterns: patterns.map((p) => replaced.get(p) ?? p), paths };
}

/** The clause a call site's description carries for a rewritten pattern. */
export function joinPathNote(table: Table, path: JoinPath, original: AccessPattern): string {
  const dropped = original.predicates.filter((q) => (q.op === "eq" || q.op === "in") && q.column && !path.columns.includes(q.column)).map((q) => q.column!);
  return `through the join from ${path.pinned}, which ${path.by.join(", ")} pins: the planner finds those ${path.pinned} rows by their own index, then each one's ${table.name} rows by ${path.columns.join(", ")}${dropped.length ? `, checking ${[...new Set(dropped)].join(", ")} on the few rows it fetches` : ""}`;
}
