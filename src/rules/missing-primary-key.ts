// Tables without a primary key. Partitions whose partitioned parent has one are exempt: the
// parent's key is every partition's key; so are materialized views, which take no constraints.
import type { FindingDraft, Index, Table } from "../core/types.js";
import { partitionAncestors, tableIndexes } from "./model.js";
import type { Rule } from "./rule.js";
import { makeObjectName, qualifiedName, quoteIdent, tableRef } from "./sql-text.js";

function hasPrimaryKey(table: Table): boolean {
  return table.primaryKey !== null || table.indexes.some((i) => i.constraint === "primary");
}

/** A unique, non-partial btree index on NOT NULL plain columns can become the primary key as it is. */
function promotableIndex(table: Table): Index | undefined {
  const notNull = new Set(table.columns.filter((c) => !c.nullable).map((c) => c.name));
  return tableIndexes(table).find(
    (i) =>
      i.unique &&
      i.method.toLowerCase() === "btree" &&
      !i.where &&
      i.include.length === 0 &&
      !i.nullsNotDistinct &&
      i.keys.every((k) => k.column !== undefined && notNull.has(k.column) && !k.descending && !k.nullsFirst && !k.opclass && !k.collation),
  );
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
      const promotable = promotableIndex(table);
      let fix: string | undefined;
      if (promotable) {
        const constraint = makeObjectName(table.name, null, "pkey");
        fix = `ALTER TABLE ${tableRef(table.schema, table.name)} ADD CONSTRAINT ${quoteIdent(constraint)} PRIMARY KEY USING INDEX ${quoteIdent(promotable.name)};`;
        paragraphs.push(`${promotable.name} is already a unique index on NOT NULL columns (${promotable.keys.map((k) => k.column).join(", ")}); promoting it takes only a brief lock and renames the index to the constraint's name.`);
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
        ...(fix ? { fix: { sql: fix } } : {}),
      });
    }
    return findings;
  },
};
