// A join whose other table is pinned by an equality, judged along the path the planner takes.
//
// `messages JOIN chats ON messages.chat_id = chats.id WHERE chats.user_id = $1 AND messages.created_at >= $2
// AND messages.role = $3`: the planner finds the user's chats through an index on chats(user_id), then, for
// each chat, that chat's messages in the window through messages(chat_id, created_at), checking role on the
// few rows it fetches (a Nested Loop; checked in the planner tests under a generic plan). A global index on
// messages(role, created_at) reads every user's messages in the window, and once the two path indexes exist
// the planner never picks it. So the query is judged as two lookups: the pinned table by its own key
// (without the join clause), and this table by its join column plus its range.
//
// A Prisma `some` relation filter is the same path: its uncorrelated `id IN (SELECT fk FROM related ...)` is a
// semi-join, which the planner runs from the pinned outer query through the related table's foreign-key index.
import type { AccessPattern, ColumnPredicate, Schema, Table } from "../core/types.js";
import { findPatternTable } from "../schema/lookup.js";
import type { FewValued } from "../advisor/coverage.js";

/** How a pattern was rewritten for its join path: the pinned table, the column that pins it, this table's join columns. */
export interface JoinPath {
  pinned: string;
  by: string[];
  columns: string[];
  /** Tables between the pinned one and this one, in order (a to-one `is` a relation filter passes through). */
  through?: string[];
  /** The path is a relation filter's semi-join (`key IN (SELECT ...)`), not a join. */
  semi?: boolean;
}

/** One link from a pattern to the table it is read for: a join, or the query whose relation filter it is. */
interface Link {
  table: Pick<AccessPattern, "table" | "relation">;
  /** The other table's columns the link compares. */
  columns: string[];
  semi: boolean;
}

function linksOf(p: AccessPattern): Link[] {
  const links: Link[] = p.joins.map((j) => ({ table: { table: j.table }, columns: j.columns, semi: false }));
  const f = p.relationFilterOf;
  if (f) links.push({ table: { table: f.table, ...(f.relation ? { relation: f.relation } : {}) }, columns: f.columns, semi: true });
  return links;
}

function sameSite(a: AccessPattern, b: AccessPattern): boolean {
  return a.location.file === b.location.file && a.location.line === b.location.line && a.location.column === b.location.column && a.functionName === b.functionName;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c) => b.includes(c));

/** The columns of `table` a link to `other` compares: this table's foreign key to it, or the key its foreign key references. */
function linkSide(table: Table, other: Table, link: Link): string[] {
  const own = table.foreignKeys.find((f) => f.references.table === other.name && f.references.schema === other.schema && sameSet(f.references.columns, link.columns));
  if (own) return own.columns;
  const theirs = other.foreignKeys.find((f) => f.references.table === table.name && f.references.schema === table.schema && sameSet(f.columns, link.columns));
  return theirs ? theirs.references.columns : [];
}

/** Whether an index (or the primary key) of `table` leads with one of `columns`: each probe along the link is an index lookup. */
function probedByIndex(table: Table, columns: string[]): boolean {
  const leading = [...table.indexes.filter((i) => i.where === null).map((i) => i.keys[0]?.column), table.primaryKey?.columns[0]];
  return leading.some((c) => c !== undefined && columns.includes(c));
}

interface Pin {
  pinned: string;
  by: string[];
  through: string[];
}

/**
 * What pins the rows of `p`: an equality of its own on a column outside `exclude` (not a column with few
 * values, not one sent on some calls only); else, for a pattern reached along a link by an index (a to-one
 * `is` by the parent's key), what pins the pattern it is read for, up to three links away.
 */
function pinOf(schema: Schema, patterns: AccessPattern[], p: AccessPattern, exclude: string[], fewValued: FewValued, depth: number): Pin | null {
  const table = findPatternTable(schema, p);
  if (!table) return null;
  const links = linksOf(p);
  const others = links.map((l) => ({ link: l, other: findPatternTable(schema, l.table) }));
  // The key a relation filter's subquery is read by is the filter, not a pin of its own.
  const derived = new Set(others.flatMap(({ link, other }) => (link.semi && other ? linkSide(table, other, link) : [])));
  const pins = p.predicates.filter((q) => q.op === "eq" && q.column && !exclude.includes(q.column) && !derived.has(q.column) && !fewValued(table, q.column) && !q.conditional);
  if (pins.length > 0) return { pinned: table.name, by: pins.map((q) => q.column!), through: [] };
  if (depth >= 3) return null;
  for (const { link, other } of others) {
    if (!other || other === table) continue;
    const side = linkSide(table, other, link);
    if (side.length === 0 || !probedByIndex(table, side)) continue;
    const parent = patterns.find((s) => s !== p && sameSite(s, p) && findPatternTable(schema, s) === other);
    const pin = parent ? pinOf(schema, patterns, parent, link.columns, fewValued, depth + 1) : null;
    if (pin) return { ...pin, through: [...pin.through, table.name] };
  }
  return null;
}

/**
 * The patterns with each pinned join rewritten (module comment), and, for a rewritten pattern, its join
 * path. A join counts as pinned when the other table's pattern at the same statement compares a column
 * outside the join with `=` (not a column with few values), or is itself reached by an index from a pattern
 * so pinned (a to-one relation filter between them), and a foreign key of this table references exactly the
 * join's columns there. This table's pattern then becomes an equality on the foreign key's columns plus its
 * ranges and tests; its other equality filters are checked on the rows of one parent in that range. The
 * pinned table's pattern loses the join clause, which no longer bounds it. A pattern with no filter of its
 * own, or with an equality an index of its table already searches by, is left as it is.
 *
 * A Prisma `some` filter is a link too: `"id" IN (SELECT "fkId" FROM related WHERE ...)` is a semi-join,
 * which the planner runs from the pinned side, probing the related table by its foreign key per row
 * (checked in the planner tests under a generic plan). With no pin it reads the related rows by the inner
 * filters alone, and the pattern is left as it is. The outer query keeps its own pattern whole: the
 * subquery does not bound it.
 */
export function joinPaths(schema: Schema, patterns: AccessPattern[], fewValued: FewValued): { patterns: AccessPattern[]; paths: Map<AccessPattern, JoinPath> } {
  const paths = new Map<AccessPattern, JoinPath>();
  const replaced = new Map<AccessPattern, AccessPattern>();
  for (const p of patterns) {
    const links = linksOf(p);
    if (links.length === 0 || p.kind !== "select") continue;
    const table = findPatternTable(schema, p);
    if (!table) continue;
    // This side's own filters: an equality an index already searches by (a key the previous join step
    // binds, `environment.id = $1`) means this table is reached by that index, not through the join; and
    // with no filter of its own there is nothing to advise on this side.
    const leading = new Set([...table.indexes.map((i) => i.keys[0]?.column), table.primaryKey?.columns[0]].filter((c): c is string => !!c));
    const own = p.predicates.filter((q) => q.column && !(q.op === "eq" && fewValued(table, q.column)));
    if (own.length === 0 || own.some((q) => (q.op === "eq" || q.op === "in") && leading.has(q.column!))) continue;
    for (const join of links) {
      const other = findPatternTable(schema, join.table);
      if (!other || other === table) continue;
      const sibling = patterns.find((s) => s !== p && sameSite(s, p) && findPatternTable(schema, s) === other);
      if (!sibling) continue;
      const pin = pinOf(schema, patterns, sibling, join.columns, fewValued, 0);
      if (!pin) continue;
      const fk = table.foreignKeys.find(
        (f) => f.references.table === other.name && f.references.schema === other.schema && f.references.columns.length === join.columns.length && f.references.columns.every((c) => join.columns.includes(c)),
      );
      if (!fk) continue;
      const keyed = (q: ColumnPredicate) => (q.op === "eq" || q.op === "in") && !(q.column && fewValued(table, q.column));
      const rewritten: AccessPattern = {
        ...p,
        predicates: [...fk.columns.map((column): ColumnPredicate => ({ column, op: "eq", sentAs: "param" })), ...p.predicates.filter((q) => !keyed(q) && !(q.column && fk.columns.includes(q.column)))],
      };
      const through = [...pin.through, ...(pin.pinned === other.name || pin.through.includes(other.name) ? [] : [other.name])];
      paths.set(rewritten, { pinned: pin.pinned, by: pin.by, columns: fk.columns, ...(through.length ? { through } : {}), ...(join.semi ? { semi: true } : {}) });
      replaced.set(p, rewritten);
      if (!join.semi && !replaced.has(sibling)) replaced.set(sibling, { ...sibling, predicates: sibling.predicates.filter((q) => !(q.op === "eq" && q.column && join.columns.includes(q.column))), limited: false });
      break;
    }
  }
  return { patterns: patterns.map((p) => replaced.get(p) ?? p), paths };
}

/** The clause a call site's description carries for a rewritten pattern. */
export function joinPathNote(table: Table, path: JoinPath, original: AccessPattern): string {
  const dropped = original.predicates.filter((q) => (q.op === "eq" || q.op === "in") && q.column && !path.columns.includes(q.column)).map((q) => q.column!);
  const checking = dropped.length ? `, checking ${[...new Set(dropped)].join(", ")} on the few rows it fetches` : "";
  const via = path.through?.length ? ` (through ${path.through.join(", ")})` : "";
  if (path.semi) {
    return `a relation filter the planner runs as a semi-join from ${path.pinned}, which ${path.by.join(", ")} pins: it finds those ${path.pinned} rows by their own index, then probes ${table.name}${via} by ${path.columns.join(", ")} for each one${checking}`;
  }
  return `through the join from ${path.pinned}${via}, which ${path.by.join(", ")} pins: the planner finds those ${path.pinned} rows by their own index, then each one's ${table.name} rows by ${path.columns.join(", ")}${checking}`;
}
