// Append-mostly, time-keyed tables expected to grow past the partitioning threshold: the
// time-based partitioning advice of a database scalability review.
import { tableHint } from "../core/config.js";
import type { Column, FindingDraft, Table } from "../core/types.js";
import { tableIndexes } from "./model.js";
import { findPatternTable } from "../schema/lookup.js";
import type { Rule, RuleContext } from "./rule.js";
import { makeObjectName, parsesCleanly, qualifiedName, quoteIdent, tableRef } from "./sql-text.js";

/** Names that say "when this row happened", best first. */
const TIME_COLUMN_NAMES = ["created_at", "occurred_at", "inserted_at", "recorded_at", "logged_at", "started_at", "changed_at", "timestamp", "event_time", "created_on", "date"];

/** Table names that say "log of events" (append-only unless configured otherwise). */
const LOG_TABLE_NAME = /(^|_)(logs|events|pageviews|changes|snapshots|audit_log|history)$/;

function isTimeType(type: string): boolean {
  const t = type.toLowerCase().replace(/^pg_catalog\./, "");
  return t.startsWith("timestamp") || t === "date";
}

function updatedByCode(context: RuleContext, table: Table): boolean {
  return context.patterns.some((p) => (p.kind === "update" || p.kind === "upsert") && findPatternTable(context.schema, p) === table);
}

/** The column a table would be partitioned on: a well-known name first, then any *_at / *_on time column. */
export function timeColumn(table: Table): Column | undefined {
  const timed = table.columns.filter((c) => isTimeType(c.type));
  for (const name of TIME_COLUMN_NAMES) {
    const column = timed.find((c) => c.name === name);
    if (column) return column;
  }
  return timed.find((c) => /_(at|on|time|date)$/.test(c.name));
}

function formatRows(rows: number): string {
  return rows.toLocaleString("en-US");
}

export const partitionCandidate: Rule = {
  id: "partition-candidate",
  description: "Append-mostly, time-keyed tables whose expected size crosses the partitioning threshold and that are not partitioned yet.",
  defaultSeverity: "routine",
  check(context) {
    const findings: FindingDraft[] = [];
    const threshold = context.config.partitionThreshold;
    for (const table of context.schema.tables) {
      if (table.partitionBy || table.partitionOf) continue;
      const hint = tableHint(context.config, table.schema, table.name);
      const rows = hint?.rows;
      if (rows === undefined || rows < threshold) continue;
      if (hint?.appendOnly === false) continue;
      const column = timeColumn(table);
      if (!column) continue;
      // A log-like name is only a guess: rows the application updates in place say otherwise.
      const looksLikeLog = LOG_TABLE_NAME.test(table.name) && !updatedByCode(context, table);
      if (!hint?.appendOnly && !looksLikeLog) continue;

      const name = qualifiedName(table.schema, table.name);
      const source = tableRef(table.schema, table.name);
      const newName = makeObjectName(table.name, null, "partitioned");
      const newRef = tableRef(table.schema, newName);
      const pk = table.primaryKey?.columns ?? tableIndexes(table).find((i) => i.constraint === "primary")?.keys.map((k) => k.column ?? "") ?? [];
      const pkWithTime = pk.length > 0 ? (pk.includes(column.name) ? pk : [...pk, column.name]) : [];
      const uniques = tableIndexes(table).filter((i) => i.unique && i.constraint !== "primary" && !i.keys.some((k) => k.column === column.name));

      const statements = [
        `CREATE TABLE ${newRef} (LIKE ${source} INCLUDING ALL EXCLUDING INDEXES) PARTITION BY RANGE (${quoteIdent(column.name)});`,
        ...(pkWithTime.length > 0 ? [`ALTER TABLE ${newRef} ADD PRIMARY KEY (${pkWithTime.map(quoteIdent).join(", ")});`] : []),
        `CREATE TABLE ${tableRef(table.schema, makeObjectName(table.name, null, "default"))} PARTITION OF ${newRef} DEFAULT;`,
      ];
      const fixSql = statements.join("\n");
      const monthly = `CREATE TABLE ${tableRef(table.schema, makeObjectName(table.name, null, "2026_01"))} PARTITION OF ${newRef} FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');`;

      const paragraphs = [
        `${name} only grows (${hint?.appendOnly ? "append-only in the configuration" : "its name marks it as a log of events"}) and is expected to reach ${formatRows(rows)} rows, past the partitioning threshold of ${formatRows(threshold)}. At that size every index on it is deep and large, VACUUM and index builds take long, and deleting old rows bloats the table.`,
        `Partition it by time: RANGE on ${column.name}, one partition per month. Queries that filter on a ${column.name} range read only the partitions they need; retention and archival become dropping (or detaching and archiving) whole old partitions instead of a long DELETE; and indexes created on the partitioned parent are created on every partition automatically.`,
        `The new parent, with a default partition (the suggested fix):\n\n${fixSql}\n\nthen one partition per month, created ahead of time (by a scheduled job, e.g. pg_cron or pg_partman), for example:\n\n${monthly}\n\nCopy the rows across in batches, then swap the names in one short transaction (ALTER TABLE ... RENAME), and recreate the indexes on the new parent.`,
      ];
      if (pk.length > 0 && !pk.includes(column.name)) {
        paragraphs.push(`A primary key or unique constraint on a partitioned table must include the partition key, so the primary key becomes (${pkWithTime.join(", ")}).`);
      }
      if (uniques.length > 0) {
        paragraphs.push(`These unique indexes do not include ${column.name} and cannot stay unique across partitions as they are: ${uniques.map((u) => u.name).join(", ")}.`);
      }
      findings.push({
        rule: "partition-candidate",
        severity: "routine",
        table: name,
        columns: [column.name],
        message: `Table ${table.name} is expected to reach ${formatRows(rows)} rows and only grows: partition it by month on ${column.name}.`,
        details: paragraphs.join("\n\n"),
        location: table.location,
        ...(parsesCleanly(fixSql) ? { fix: { sql: fixSql, placement: "separate" as const } } : {}),
      });
    }
    return findings;
  },
};
