// Indexes that another index of the same table already does the work of: exact duplicates,
// and btree indexes whose keys are a leading prefix of another's under the same predicate.
import { platformOwned } from "./table-evidence.js";
import type { DeclaredOrm, FindingDraft, Index, IndexKey, Table } from "../core/types.js";
import { compareCreation, keyLabel, tableIndexes } from "./model.js";
import type { Rule, RuleContext } from "./rule.js";
import { qualifiedName, quoteIdent } from "./sql-text.js";

/** Same column, or same expression text (what `c:column` / `e:expression` labels would compare, without building them). */
function sameTarget(a: IndexKey, b: IndexKey): boolean {
  if (a.column !== undefined) return b.column !== undefined && a.column === b.column;
  return b.column === undefined && (a.expression ?? "") === (b.expression ?? "");
}

function sameKey(a: IndexKey, b: IndexKey): boolean {
  return (
    sameTarget(a, b) &&
    (a.opclass ?? "") === (b.opclass ?? "") &&
    (a.collation ?? "") === (b.collation ?? "") &&
    a.descending === b.descending &&
    a.nullsFirst === b.nullsFirst
  );
}

/** Same key read backwards: a btree scanned in reverse gives the flipped direction and NULLS placement. */
function flippedKey(a: IndexKey, b: IndexKey): boolean {
  return (
    sameTarget(a, b) &&
    (a.opclass ?? "") === (b.opclass ?? "") &&
    (a.collation ?? "") === (b.collation ?? "") &&
    a.descending !== b.descending &&
    a.nullsFirst !== b.nullsFirst
  );
}

function normalisePredicate(where: string | null): string {
  return (where ?? "").replace(/\s+/g, " ").trim();
}

function columnsOf(index: Index): Set<string> {
  return new Set([...index.keys.filter((k) => k.column !== undefined).map((k) => k.column as string), ...index.include]);
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

type Relation = "duplicate" | "prefix" | null;

/** Whether `wider` does everything `narrower` does, and how. */
function covers(wider: Index, narrower: Index): Relation {
  if (wider === narrower) return null;
  const method = narrower.method.toLowerCase();
  if (method !== wider.method.toLowerCase()) return null;
  if (narrower.keys.length > wider.keys.length) return null;
  // Equal texts normalise alike: the regex pass is only needed when they differ.
  if (narrower.where !== wider.where && normalisePredicate(narrower.where) !== normalisePredicate(wider.where)) return null;
  const leading = wider.keys.slice(0, narrower.keys.length);
  const same = narrower.keys.every((k, i) => sameKey(k, leading[i]));
  // Only btree indexes can be read as a prefix or backwards; other methods must match exactly.
  const reversed = method === "btree" && narrower.keys.every((k, i) => flippedKey(k, leading[i]));
  if (!same && !reversed) return null;
  const equalLength = narrower.keys.length === wider.keys.length;
  if (!equalLength && method !== "btree") return null;
  if (method !== "btree" && !sameSet(narrower.include, wider.include)) return null;
  const widerColumns = columnsOf(wider);
  if (!narrower.include.every((c) => widerColumns.has(c))) return null;
  // A unique index enforces something; only a unique index on exactly the same keys replaces it.
  if (narrower.unique) {
    if (!wider.unique || !equalLength) return null;
    if (Boolean(narrower.nullsNotDistinct) !== Boolean(wider.nullsNotDistinct)) return null;
  }
  return equalLength && sameSet(narrower.include, wider.include) && narrower.unique === wider.unique ? "duplicate" : "prefix";
}

interface Verdict {
  drop: Index;
  keep: Index;
  /** `overlap`: two unique indexes enforce the same uniqueness; noted, never dropped. */
  relation: "duplicate" | "prefix" | "overlap";
}

function findRedundant(context: RuleContext, table: Table): Verdict[] {
  // auth.*, storage.*: the platform's indexes, not the project's to drop.
  if (platformOwned(table)) return [];
  const indexes = tableIndexes(table);
  // One index cannot be redundant with itself (covers() of an index and itself is null).
  if (indexes.length < 2) return [];
  const order = (i: Index) => indexes.indexOf(i);
  const createdBefore = (a: Index, b: Index) => {
    const byLocation = compareCreation(context.set, a.location, b.location);
    return byLocation !== 0 ? byLocation < 0 : order(a) < order(b);
  };
  /** `a` is to be dropped in favour of `b`. */
  const loses = (a: Index, b: Index): boolean => {
    // Uniqueness is a constraint, not redundancy: a unique index (partial or not) is never the one dropped,
    // so every drop advised leaves every constraint in place.
    if (a.constraint || a.unique) return false;
    if (!covers(b, a)) return false;
    if (!covers(a, b)) return true;
    // Each does the other's work: keep the constraint's index, else the older one.
    if (b.constraint) return true;
    return createdBefore(b, a);
  };
  const dropped = new Set(indexes.filter((a) => indexes.some((b) => loses(a, b))));
  const verdicts: Verdict[] = [];
  for (const drop of dropped) {
    const keepers = indexes.filter((b) => !dropped.has(b) && covers(b, drop));
    // Name the closest match: an exact duplicate, then the narrowest (the one the planner picks for the dropped
    // index's lookups, as the smallest), then a constraint's index, then the oldest.
    keepers.sort(
      (x, y) =>
        Number(covers(x, drop) !== "duplicate") - Number(covers(y, drop) !== "duplicate") ||
        x.keys.length + x.include.length - (y.keys.length + y.include.length) ||
        Number(!x.constraint) - Number(!y.constraint) ||
        Number(createdBefore(y, x)) - Number(createdBefore(x, y)),
    );
    const keep = keepers[0];
    const relation = keep ? covers(keep, drop) : null;
    if (keep && relation) verdicts.push({ drop, keep, relation });
  }
  // Two unique indexes with the same keys and predicate: noted once, at the later (or non-constraint) one.
  const unique = indexes.filter((i) => i.unique);
  for (const a of unique) {
    const twin = unique.find((b) => b !== a && covers(b, a) === "duplicate" && covers(a, b) === "duplicate" && (Boolean(a.constraint) === Boolean(b.constraint) ? createdBefore(b, a) : Boolean(b.constraint)));
    if (twin) verdicts.push({ drop: a, keep: twin, relation: "overlap" });
  }
  return verdicts;
}

function describe(index: Index): string {
  const keys = index.keys.map((k) => keyLabel(k) + (k.descending ? " DESC" : "")).join(", ");
  const include = index.include.length > 0 ? ` INCLUDE (${index.include.join(", ")})` : "";
  const where = index.where ? ` WHERE ${index.where}` : "";
  const what = index.constraint === "primary" ? " (the primary key)" : index.constraint === "unique" ? " (a UNIQUE constraint)" : index.unique ? " (unique)" : "";
  return `${index.name}${what} on (${keys})${include}${where}`;
}

/** Two unique indexes that enforce the same thing: a note, with no DROP, since each is a constraint. */
function overlapFinding(context: RuleContext, table: Table, a: Index, b: Index): FindingDraft {
  const later = compareCreation(context.set, a.location, b.location) >= 0 ? a : b;
  const keys = a.keys.map(keyLabel).join(", ");
  return {
    rule: "redundant-index",
    severity: "noted",
    table: qualifiedName(table.schema, table.name),
    columns: a.keys.map(keyLabel),
    title: "Overlapping unique indexes",
    message: `Unique indexes ${a.name} and ${b.name} on ${table.name}(${keys}) enforce the same uniqueness; every write maintains both.`,
    summary: `${a.name} and ${b.name} enforce the same uniqueness on ${table.name}(${keys}); no drop is advised.`,
    details: [
      `${describe(a)} and ${describe(b)} have the same keys and predicate.`,
      `The audit does not advise dropping either: a unique index is a constraint, and whether one of the two can go depends on what refers to it by name (ON CONFLICT ON CONSTRAINT, a foreign key that references it, replica identity). Decide that by hand; no fix is proposed.`,
    ].join("\n\n"),
    location: later.location,
    related: [later === a ? b.location : a.location],
    key: a.name,
  };
}

/** The ORM whose schema declares the index, when one does: its migration tool then writes the DROP INDEX. */
function declaringOrm(context: RuleContext, table: Table, indexName: string): DeclaredOrm | null {
  for (const declared of context.schema.declared ?? []) {
    if (declared.models.some((m) => m.schema === table.schema && m.table === table.name && m.indexes.some((i) => i.name === indexName))) return declared.orm;
  }
  return null;
}

/**
 * What the ORM's generated DROP INDEX locks, and how to keep reads going: the statement `prisma migrate` and
 * drizzle-kit write has no CONCURRENTLY, so it takes ACCESS EXCLUSIVE on the table (what index-locking reports).
 */
const ORM_DROP_NOTE: Record<DeclaredOrm, (table: string) => string> = {
  prisma: (table) =>
    `\`prisma migrate dev\` writes a plain DROP INDEX, which takes an ACCESS EXCLUSIVE lock on ${table}: reads and writes wait while it waits for running queries. Create the migration with \`prisma migrate dev --create-only\`, change the statement to \`DROP INDEX CONCURRENTLY IF EXISTS\`, and keep it alone in that migration.sql.`,
  drizzle: (table) =>
    `drizzle-kit writes a plain DROP INDEX, which takes an ACCESS EXCLUSIVE lock on ${table}, and its migrator runs in one transaction, where CONCURRENTLY fails. Run \`DROP INDEX CONCURRENTLY IF EXISTS\` outside the migrator first, and make the generated statement \`DROP INDEX IF EXISTS\` so it finds the index gone and does nothing.`,
};

/** The same for a schema pushed with no migrations (`prisma db push`, `drizzle-kit push`). */
function pushDropNote(table: string): string {
  return `The push drops the index with a plain DROP INDEX, which takes an ACCESS EXCLUSIVE lock on ${table}: reads and writes wait while it waits for running queries. Run \`DROP INDEX CONCURRENTLY IF EXISTS\` by hand first; the push then finds the index gone.`;
}

function toFinding(context: RuleContext, table: Table, verdict: Verdict): FindingDraft {
  const { drop, keep } = verdict;
  if (verdict.relation === "overlap") return overlapFinding(context, table, drop, keep);
  const relation = verdict.relation;
  const child = qualifiedName(table.schema, table.name);
  const later = compareCreation(context.set, drop.location, keep.location) >= 0 ? drop : keep;
  const why =
    relation === "duplicate" || drop.keys.length === keep.keys.length
      ? `${drop.name} has the same keys as ${keep.name}${drop.keys.every((k, i) => sameKey(k, keep.keys[i])) ? "" : " (in reverse order, which a backward scan reads the same way)"}`
      : `the keys of ${drop.name} are a leading prefix of ${keep.name}'s, so ${keep.name} serves every lookup and sort ${drop.name} serves`;
  const indexRef = table.schema === "public" ? quoteIdent(drop.name) : `${quoteIdent(table.schema)}.${quoteIdent(drop.name)}`;
  const paragraphs = [
    `${describe(drop)} is redundant: ${why} (${describe(keep)}).`,
    `Every INSERT, and every UPDATE that cannot be a heap-only update, writes both indexes; both take disk space and memory in the buffer cache; and for any one lookup the planner uses only one of them. Drop ${drop.name} and keep ${keep.name}${keep.constraint ? ", which backs a constraint" : ""}.`,
    `Before dropping, check on production (and on replicas) that nothing depends on ${drop.name} by name, e.g. index hints in code or \`pg_stat_user_indexes.idx_scan\` rising only for it.`,
  ];
  let sql = `DROP INDEX CONCURRENTLY IF EXISTS ${indexRef};`;
  if (table.partitionBy) {
    sql = `DROP INDEX IF EXISTS ${indexRef};`;
    paragraphs.push(`${child} is partitioned; PostgreSQL cannot drop an index of a partitioned table CONCURRENTLY, so this DROP takes an ACCESS EXCLUSIVE lock briefly on the table and its partitions.`);
  } else {
    const orm = declaringOrm(context, table, drop.name);
    const pushed = context.set.framework === "prisma-schema" || context.set.framework === "drizzle-schema";
    if (orm) paragraphs.push(pushed ? pushDropNote(table.name) : ORM_DROP_NOTE[orm](table.name));
  }
  return {
    rule: "redundant-index",
    severity: "routine",
    table: child,
    columns: drop.keys.map(keyLabel),
    message:
      relation === "duplicate" || drop.keys.length === keep.keys.length
        ? `Index ${drop.name} duplicates ${keep.name} on ${table.name}; drop ${drop.name}.`
        : `Index ${drop.name} on ${table.name}(${drop.keys.map(keyLabel).join(", ")}) is a prefix of ${keep.name}(${keep.keys.map(keyLabel).join(", ")}); drop ${drop.name}.`,
    summary: `${drop.name} on ${table.name} is never needed: ${keep.name} serves every lookup it serves. Drop it to save writes.`,
    details: paragraphs.join("\n\n"),
    location: later.location,
    related: [later === drop ? keep.location : drop.location],
    key: drop.name,
    fix: { sql },
  };
}

export const redundantIndex: Rule = {
  id: "redundant-index",
  description: "Indexes that duplicate another index, or whose keys are a leading prefix of another btree index's, and back no constraint.",
  defaultSeverity: "routine",
  check(context) {
    return context.schema.tables.flatMap((table) => findRedundant(context, table).map((v) => toFinding(context, table, v)));
  },
};
