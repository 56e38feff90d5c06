// Tables without a primary key. Partitions whose partitioned parent has one are exempt: the
// parent's key is every partition's key; so are materialized views, which take no constraints.
import type { FindingDraft, Index, Location, Schema, Table } from "../core/types.js";
import { partitionAncestors, tableIndexes } from "./model.js";
import type { Rule } from "./rule.js";
import { makeObjectName, qualifiedName, quoteIdent, tableRef } from "./sql-text.js";

function hasPrimaryKey(table: Table): boolean {
  return table.primaryKey !== null || table.indexes.some((i) => i.constraint === "primary");
}

/**
 * The unique index a primary key is best taken from, or undefined: a unique, non-partial btree index on NOT NULL
 * plain columns. The key foreign keys reference comes first (it is already the row's identity to other tables),
 * then one containing an `id` column, then the rest. Within each, an index no constraint owns comes first
 * (ADD CONSTRAINT ... PRIMARY KEY USING INDEX takes it over as it is), then one backing a UNIQUE constraint
 * (PostgreSQL refuses USING INDEX on an index that belongs to a constraint, so the key is built anew); fewer
 * columns first, then the order they were created.
 * Source: PostgreSQL docs, ALTER TABLE ... ADD table_constraint_using_index.
 */
function promotableIndex(schema: Schema, table: Table): Index | undefined {
  const notNull = new Set(table.columns.filter((c) => !c.nullable).map((c) => c.name));
  const candidates = tableIndexes(table).filter(
    (i) =>
      i.unique &&
      (i.constraint === null || i.constraint === "unique") &&
      i.method.toLowerCase() === "btree" &&
      !i.where &&
      i.include.length === 0 &&
      !i.nullsNotDistinct &&
      i.keys.every((k) => k.column !== undefined && notNull.has(k.column) && !k.descending && !k.nullsFirst && !k.opclass && !k.collation),
  );
  const referenced = (i: Index) => (referencingKeys(schema, table, i.keys.map((k) => k.column!)).length > 0 ? 0 : 1);
  const hasId = (i: Index) => (i.keys.some((k) => k.column === "id") ? 0 : 1);
  const owned = (i: Index) => (i.constraint === null ? 0 : 1);
  return candidates
    .map((index, order) => ({ index, order }))
    .sort(
      (a, b) =>
        referenced(a.index) - referenced(b.index) ||
        hasId(a.index) - hasId(b.index) ||
        owned(a.index) - owned(b.index) ||
        a.index.keys.length - b.index.keys.length ||
        a.order - b.order,
    )[0]?.index;
}

/** Foreign keys (with a database constraint) whose referenced columns are exactly `columns` of `table`: they depend on its unique constraint. */
function referencingKeys(schema: Schema, table: Table, columns: string[]): string[] {
  const wanted = [...columns].sort().join("\u0000");
  const out: string[] = [];
  for (const child of schema.tables) {
    for (const fk of child.foreignKeys) {
      if (fk.applicationOnly || fk.references.schema !== table.schema || fk.references.table !== table.name) continue;
      if ([...fk.references.columns].sort().join("\u0000") === wanted) out.push(`${child.name}.${fk.name}`);
    }
  }
  return out;
}

/** The fix and its explanation for a key taken from `index`. */
function keyFromIndex(schema: Schema, table: Table, index: Index): { sql: string; why: string } {
  const constraint = quoteIdent(makeObjectName(table.name, null, "pkey"));
  const ref = tableRef(table.schema, table.name);
  const columns = index.keys.map((k) => k.column!);
  const list = columns.map(quoteIdent).join(", ");
  if (index.constraint === null) {
    return {
      sql: `ALTER TABLE ${ref} ADD CONSTRAINT ${constraint} PRIMARY KEY USING INDEX ${quoteIdent(index.name)};`,
      why: `${index.name} is already a unique index on NOT NULL columns (${columns.join(", ")}); promoting it takes only a brief lock and renames the index to the constraint's name.`,
    };
  }
  const lock = `Adding the key builds its index under an ACCESS EXCLUSIVE lock; on a large table, build a unique index CONCURRENTLY first and attach it with ADD CONSTRAINT ... PRIMARY KEY USING INDEX.`;
  const dependents = referencingKeys(schema, table, columns);
  if (dependents.length > 0) {
    return {
      sql: `ALTER TABLE ${ref} ADD CONSTRAINT ${constraint} PRIMARY KEY (${list});`,
      why: `${index.name} backs a UNIQUE constraint on NOT NULL columns (${columns.join(", ")}), which PostgreSQL does not let a primary key take over, and foreign keys depend on it (${dependents.join(", ")}), so it stays. ${lock}`,
    };
  }
  return {
    sql: `ALTER TABLE ${ref} DROP CONSTRAINT ${quoteIdent(index.name)}, ADD CONSTRAINT ${constraint} PRIMARY KEY (${list});`,
    why: `${index.name} backs a UNIQUE constraint on NOT NULL columns (${columns.join(", ")}). PostgreSQL does not let a primary key take over a constraint's index, so the key replaces the constraint in one statement. ${lock}`,
  };
}

function sameStatement(a: Location, b: Location): boolean {
  return a.file === b.file && a.line === b.line;
}

export const missingPrimaryKey: Rule = {
  id: "missing-primary-key",
  description: "Tables with no primary key.",
  defaultSeverity: "routine",
  check(context) {
    const findings: FindingDraft[] = [];
    for (const table of context.schema.tables) {
      // A materialized view cannot have constraints.
      if (hasPrimaryKey(table) || table.materializedView) continue;
      if (partitionAncestors(context.schema, table).some(hasPrimaryKey)) continue;
      const name = qualifiedName(table.schema, table.name);
      const paragraphs = [
        `Without a primary key, rows of ${name} have no identity the database guarantees: duplicates can creep in, logical replication and Supabase Realtime cannot replicate its UPDATEs and DELETEs (no replica identity), and tools such as pg_repack, and ORMs or PostgREST updating a single row, need one.`,
      ];
      const promotable = promotableIndex(context.schema, table);
      let fix: string | undefined;
      if (promotable) {
        const key = keyFromIndex(context.schema, table, promotable);
        fix = key.sql;
        paragraphs.push(key.why);
      } else {
        paragraphs.push(
          `Add a key column, e.g. \`ALTER TABLE ${tableRef(table.schema, table.name)} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;\` (this rewrites the table under an ACCESS EXCLUSIVE lock, so on a large table add the column, backfill, build a unique index CONCURRENTLY and attach it with ADD CONSTRAINT ... PRIMARY KEY USING INDEX), or declare the natural key that already identifies a row.`,
        );
      }
      findings.push({
        rule: "missing-primary-key",
        severity: "routine",
        table: name,
        columns: [],
        message: `Table ${table.name} has no primary key.`,
        details: paragraphs.join("\n\n"),
        location: table.location,
        // A key taken from an index a later statement creates (Prisma writes CREATE UNIQUE INDEX after CREATE TABLE)
        // cannot go right after the table: it is a migration of its own.
        ...(fix ? { fix: { sql: fix, ...(promotable && !sameStatement(promotable.location, table.location) ? { placement: "separate" as const } : {}) } } : {}),
      });
    }
    return findings;
  },
};
