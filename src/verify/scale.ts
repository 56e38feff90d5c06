// Plans at the declared scale without the rows: each table gets one generated row (so it has one
// physical page) and then PostgreSQL 18's statistics-restore functions tell the planner the rest.
//
// Why this works (src/backend/access/table/tableam.c, table_block_relation_estimate_size): the planner
// reads a table's physical page count and scales it by the density reltuples / relpages from pg_class.
// One page holding one row, restored as relpages = 1 and reltuples = N, is planned as N rows. An empty
// table stays empty whatever its statistics say, hence the row.
// Column statistics (pg_restore_attribute_stats) are written only where the schema says something:
// n_distinct = -1 for a column with a single-column unique index or primary key, 2 for a boolean, the
// number of labels for an enum or of values a CHECK (col IN (...)) allows; null_frac = 0 for a NOT NULL column. Everything else keeps the
// planner's defaults (src/include/utils/selfuncs.h: DEFAULT_EQ_SEL and kin).
import type { PGlite } from "@electric-sql/pglite";
import type { AuditConfig } from "../core/config.js";
import { tableHint } from "../core/config.js";
import type { Schema, Table } from "../core/types.js";

/** Rows assumed for a table without a size hint (`tables: {name: {rows: N}}`): a table worth an index. */
export const DEFAULT_ROWS = 100_000;

export interface TableScale {
  schema: string;
  name: string;
  rows: number;
  /** True when the size comes from a hint in the config, false for DEFAULT_ROWS. */
  hinted: boolean;
  /** Column statistics restored: column -> what was said. */
  columns: Record<string, { n_distinct?: number; null_frac?: number }>;
  /** Why the table could not be scaled (no row could be generated), when it could not. */
  problem?: string;
}

interface ColumnInfo {
  attname: string;
  notnull: boolean;
  hasdefault: boolean;
  identity: string;
  generated: string;
  typtype: string;
  category: string;
  typname: string;
  formatted: string;
  labels: number | null;
}

/** The SQL value a generated row holds for a column of this type (NULL when nothing fits). */
function valueFor(c: ColumnInfo): string {
  if (c.identity || c.generated) return "DEFAULT";
  if (c.hasdefault) return "DEFAULT";
  if (!c.notnull) return "NULL";
  const cast = (text: string) => `'${text}'::${c.formatted}`;
  if (c.typtype === "e") return `(enum_range(NULL::${c.formatted}))[1]`;
  switch (c.category) {
    case "N":
      return cast("1");
    case "S":
      return cast("x");
    case "B":
      return cast("false");
    case "D":
      return `now()::${c.formatted}`;
    case "T":
      return cast("1 day");
    case "A":
      return cast("{}");
    case "I":
      return cast("127.0.0.1");
    case "V":
      return cast("0");
    case "U":
      if (c.typname === "uuid") return "gen_random_uuid()";
      if (c.typname === "json" || c.typname === "jsonb") return cast("{}");
      if (c.typname === "bytea") return cast("\\x00");
      return cast("");
    default:
      return "NULL";
  }
}

async function columnsOf(db: PGlite, regclass: string): Promise<ColumnInfo[]> {
  const res = await db.query<ColumnInfo>(
    `SELECT a.attname, a.attnotnull AS notnull, a.atthasdef AS hasdefault, a.attidentity AS identity, a.attgenerated AS generated,
            bt.typtype, bt.typcategory AS category, bt.typname, format_type(a.atttypid, a.atttypmod) AS formatted,
            CASE WHEN bt.typtype = 'e' THEN (SELECT count(*)::int FROM pg_enum e WHERE e.enumtypid = bt.oid) END AS labels
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [regclass],
  );
  return res.rows;
}

function regclassOf(table: Pick<Table, "schema" | "name">): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return `${q(table.schema)}.${q(table.name)}`;
}

/** Columns with a single-column unique index or primary key: every value distinct. */
function uniqueColumns(table: Table): Set<string> {
  const out = new Set<string>();
  if (table.primaryKey?.columns.length === 1) out.add(table.primaryKey.columns[0]);
  for (const index of table.indexes) {
    if (index.unique && !index.where && index.keys.length === 1 && index.keys[0].column) out.add(index.keys[0].column);
  }
  return out;
}

/** The rows a table is planned at: its size hint, or DEFAULT_ROWS. */
export function plannedRows(config: AuditConfig, table: Pick<Table, "schema" | "name">): { rows: number; hinted: boolean } {
  const rows = tableHint(config, table.schema, table.name)?.rows;
  return rows !== undefined ? { rows, hinted: true } : { rows: DEFAULT_ROWS, hinted: false };
}

/**
 * Puts one generated row in every plain table of the schema (triggers and foreign keys off, CHECK
 * constraints dropped when they refuse it; this database is the verifier's alone) and restores the
 * statistics of each. Partitioned tables and their partitions are left as PostgreSQL finds them.
 */
export async function scaleTables(db: PGlite, schema: Schema, config: AuditConfig): Promise<TableScale[]> {
  const scales: TableScale[] = [];
  await db.exec("SET session_replication_role = replica");
  try {
    for (const table of schema.tables) {
      if (table.partitionBy || table.partitionOf || table.materializedView) continue;
      const { rows, hinted } = plannedRows(config, table);
      const scale: TableScale = { schema: table.schema, name: table.name, rows, hinted, columns: {} };
      const regclass = regclassOf(table);
      let columns: ColumnInfo[];
      try {
        columns = await columnsOf(db, regclass);
      } catch {
        continue; // the table did not replay
      }
      const listed = await checkedValueCounts(db, regclass);
      const problem = await insertRow(db, regclass, columns);
      if (problem) scale.problem = problem;
      const unique = uniqueColumns(table);
      for (const c of columns) {
        const said: { n_distinct?: number; null_frac?: number } = {};
        if (unique.has(c.attname)) said.n_distinct = -1;
        else if (c.typname === "bool") said.n_distinct = 2;
        else if (c.labels) said.n_distinct = c.labels;
        else if (listed.has(c.attname)) said.n_distinct = listed.get(c.attname);
        if (c.notnull) said.null_frac = 0;
        if (said.n_distinct !== undefined) scale.columns[c.attname] = said;
      }
      scales.push(scale);
    }
  } finally {
    await db.exec("SET session_replication_role = origin");
  }
  for (const scale of scales) await restoreStats(db, scale);
  return scales;
}

/**
 * Columns a CHECK constraint holds to a list of values (`CHECK (status IN ('a', 'b', 'c'))`, which
 * PostgreSQL stores as `status = ANY (ARRAY[...])`): column -> how many values.
 */
async function checkedValueCounts(db: PGlite, regclass: string): Promise<Map<string, number>> {
  const res = await db.query<{ attname: string; def: string }>(
    `SELECT a.attname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.conrelid = $1::regclass AND c.contype = 'c' AND cardinality(c.conkey) = 1`,
    [regclass],
  );
  const out = new Map<string, number>();
  for (const { attname, def } of res.rows) {
    const list = /^CHECK \(\(?\S+ = ANY \(\(?ARRAY\[(.*)\]\)?(?:::[\w ]+\[\])?\)\)?\)$/.exec(def)?.[1];
    if (!list) continue;
    const values = list.split(/,\s*(?=')/).length;
    out.set(attname, Math.min(values, out.get(attname) ?? Infinity));
  }
  return out;
}

async function insertRow(db: PGlite, regclass: string, columns: ColumnInfo[]): Promise<string | undefined> {
  const insert = `INSERT INTO ${regclass} VALUES (${columns.map(valueFor).join(", ")})`;
  try {
    await db.exec(insert);
    return undefined;
  } catch (error) {
    const e = error as { code?: string; message: string };
    if (e.code !== "23514") return `no row could be generated: ${e.message}`;
  }
  try {
    const checks = await db.query<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'`, [regclass]);
    for (const { conname } of checks.rows) await db.exec(`ALTER TABLE ${regclass} DROP CONSTRAINT "${conname.replace(/"/g, '""')}"`);
    await db.exec(insert);
    return undefined;
  } catch (error) {
    return `no row could be generated: ${(error as Error).message}`;
  }
}

/**
 * Restores the table's statistics: relpages 1 and reltuples at the declared rows, and the column
 * statistics the schema implies. Run again after any CREATE INDEX on the table (building an index
 * writes the heap's real page and row counts back into pg_class).
 */
export async function restoreStats(db: PGlite, scale: TableScale): Promise<void> {
  if (scale.problem) return;
  await db.query(`SELECT pg_restore_relation_stats('schemaname', $1::text, 'relname', $2::text, 'relpages', 1::integer, 'reltuples', $3::real)`, [
    scale.schema,
    scale.name,
    scale.rows,
  ]);
  for (const [column, said] of Object.entries(scale.columns)) {
    const args: string[] = [`'schemaname', $1::text`, `'relname', $2::text`, `'attname', $3::text`, `'inherited', false`];
    if (said.n_distinct !== undefined) args.push(`'n_distinct', ${said.n_distinct}::real`);
    if (said.null_frac !== undefined) args.push(`'null_frac', ${said.null_frac}::real`);
    await db.query(`SELECT pg_restore_attribute_stats(${args.join(", ")})`, [scale.schema, scale.name, column]);
  }
}
