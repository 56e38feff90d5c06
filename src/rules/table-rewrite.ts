// Statements that rewrite an existing table, or hold ACCESS EXCLUSIVE on it for as long as a full
// rewrite or refresh takes: a column type change PostgreSQL cannot do in place, ADD COLUMN with a
// volatile default, a stored generated column, a serial or identity column, VACUUM FULL, CLUSTER,
// REFRESH MATERIALIZED VIEW without CONCURRENTLY and DETACH PARTITION without CONCURRENTLY.
// Follows ATColumnChangeRequiresRewrite and ATExecAddColumn (src/backend/commands/tablecmds.c) and the
// ALTER TABLE reference page, "Notes"; each case was checked on PostgreSQL 18 by the table's relfilenode.
import type { AlterTableCmd, ColumnDef, IndexStmt, Node, TypeName } from "@pgsql/types";
import type { Statement } from "../core/types.js";
import { alterTable, columnConstraints, finishDrafts, isSerialType, node, TableHistory, tableName, type SafetyDraft, type TableName } from "./migration-scope.js";
import type { Rule, RuleContext } from "./rule.js";
import { nameParts, quoteIdent, tableRef } from "./sql-text.js";

/** A column type as the parser spells it: base name without pg_catalog, and its modifiers. */
interface ColumnType {
  name: string;
  mods: number[];
  array: boolean;
}

const ALIASES: Record<string, string> = { "character varying": "varchar", character: "bpchar", char: "bpchar", int: "int4", integer: "int4", bigint: "int8", smallint: "int2", decimal: "numeric", timestamp: "timestamp", timestamptz: "timestamptz" };

function columnType(typeName: TypeName | undefined): ColumnType | null {
  if (!typeName) return null;
  const names = nameParts((typeName.names ?? []) as Array<Record<string, any>>);
  const base = names[names.length - 1]?.toLowerCase();
  if (!base) return null;
  const mods = (typeName.typmods ?? []).map((m) => (m as { A_Const?: { ival?: { ival?: number } } }).A_Const?.ival?.ival ?? 0);
  return { name: ALIASES[base] ?? base, mods, array: (typeName.arrayBounds?.length ?? 0) > 0 };
}

/**
 * Whether changing a column from `from` to `to` rewrites the table: false for the changes PostgreSQL
 * makes in place (same type, varchar widened or its limit removed, varchar to text, numeric precision
 * raised with the same scale or the limits removed); "utc" for timestamp to timestamptz, which skips the
 * rewrite only when the session TimeZone is UTC; true otherwise.
 */
export function typeChangeRewrites(from: ColumnType, to: ColumnType): boolean | "utc" {
  if (from.array !== to.array) return true;
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  if (from.name === to.name && same(from.mods, to.mods)) return false;
  if (from.name === "varchar" && to.name === "varchar") return to.mods.length > 0 && (from.mods.length === 0 || to.mods[0] < from.mods[0]);
  if (from.name === "varchar" && to.name === "text") return false;
  if (from.name === "text" && to.name === "varchar") return to.mods.length > 0;
  if (from.name === "numeric" && to.name === "numeric") {
    if (to.mods.length === 0) return false;
    if (from.mods.length === 0) return true;
    return !(to.mods[0] >= from.mods[0] && (to.mods[1] ?? 0) === (from.mods[1] ?? 0));
  }
  if (from.name === "timestamp" && to.name === "timestamptz" && same(from.mods, to.mods)) return "utc";
  return true;
}

/** Functions PostgreSQL marks volatile that migrations use as column defaults. */
const VOLATILE = new Set(["random", "random_normal", "clock_timestamp", "timeofday", "gen_random_uuid", "uuidv4", "uuidv7", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "nextval"]);

function volatileCall(expr: Node | undefined): string | null {
  let found: string | null = null;
  const walk = (value: unknown): void => {
    if (found || !value || typeof value !== "object") return;
    const call = (value as { FuncCall?: { funcname?: unknown[] } }).FuncCall;
    if (call) {
      const name = nameParts((call.funcname ?? []) as Array<Record<string, any>>).pop()?.toLowerCase();
      if (name && VOLATILE.has(name)) found = `${name}()`;
    }
    for (const child of Object.values(value as Record<string, unknown>)) walk(child);
  };
  walk(expr);
  return found;
}

const REWRITE_COST = `A rewrite copies every row into a new file and rebuilds every index of the table, holding an ACCESS EXCLUSIVE lock throughout: reads and writes wait for all of it.`;

class RewriteCheck {
  readonly drafts: SafetyDraft[] = [];
  private readonly history: TableHistory;
  /**
   * `schema.table` -> column -> type, as the migrations so far leave it. A CREATE TABLE's elements are kept as
   * they are until a later statement alters or asks about the table (columnTypes): most tables never are.
   */
  private readonly types = new Map<string, Map<string, ColumnType> | Node[]>();
  /** Materialized views with a unique index REFRESH ... CONCURRENTLY can use (plain columns, no WHERE). */
  private readonly uniqueMatviews = new Set<string>();

  constructor(private readonly context: RuleContext) {
    this.history = new TableHistory(context.statements);
  }

  visit(statement: Statement): void {
    const alter = alterTable(statement);
    if (alter && this.history.existedBefore(alter.table.key, statement)) {
      for (const command of alter.commands) this.onCommand(statement, alter.table, command);
    }
    this.onMaintenance(statement);
    this.track(statement, alter);
    this.history.observe(statement);
  }

  private existing(statement: Statement, table: TableName | null): table is TableName {
    return table !== null && this.history.existedBefore(table.key, statement);
  }

  private onCommand(statement: Statement, table: TableName, command: AlterTableCmd): void {
    const column = (command.def as { ColumnDef?: ColumnDef } | undefined)?.ColumnDef;
    if (command.subtype === "AT_AlterColumnType" && column && command.name) {
      const to = columnType(column.typeName);
      const from = this.columnTypes(table.key)?.get(command.name);
      if (!to) return;
      const using = column.raw_default !== undefined;
      const verdict = using ? true : from ? typeChangeRewrites(from, to) : true;
      if (verdict === false) return;
      const known = from !== undefined && !using;
      this.push(statement, table, [command.name], "alter-type", command.name, `ALTER COLUMN ${command.name} TYPE on existing table ${table.name} ${known ? "rewrites" : "may rewrite"} the whole table under an ACCESS EXCLUSIVE lock.`, [
        known
          ? verdict === "utc"
            ? `timestamp to timestamptz is done in place only when the session's TimeZone is UTC; otherwise every row is rewritten.`
            : `PostgreSQL changes a type in place only when the old values are valid as they are: varchar widened or its limit removed, varchar to text, numeric precision raised with the same scale. This change is none of those.`
          : `${using ? "A USING expression makes PostgreSQL compute every value again" : "The column's current type is not known from these migrations"}; unless the change is one PostgreSQL does in place (varchar widened, varchar to text, numeric precision raised with the same scale), every row is rewritten.`,
        REWRITE_COST,
        `To avoid the long lock: add a new column of the new type, fill it in batches, switch the code to it, then drop the old column.`,
      ]);
      return;
    }
    if (command.subtype !== "AT_AddColumn" || !column) return;
    const constraints = columnConstraints(column);
    const col = column.colname ?? "";
    const generated = constraints.find((c) => c.contype === "CONSTR_GENERATED");
    if (generated && generated.generated_kind !== "v") {
      this.push(statement, table, [col], "generated-stored", col, `ADD COLUMN ${col} GENERATED ALWAYS AS (...) STORED on existing table ${table.name} computes the value for every row and rewrites the table under an ACCESS EXCLUSIVE lock.`, [
        REWRITE_COST,
        `A VIRTUAL generated column (PostgreSQL 18) is computed when read and adds no rewrite. To keep it stored without the long lock: add a plain column, fill it in batches, and keep it current with a trigger.`,
      ]);
      return;
    }
    if (isSerialType(column) || constraints.some((c) => c.contype === "CONSTR_IDENTITY")) {
      const primary = constraints.some((c) => c.contype === "CONSTR_PRIMARY");
      this.push(statement, table, [col], "serial-column", col, `ADD COLUMN ${col} ${isSerialType(column) ? "serial" : "GENERATED ... AS IDENTITY"}${primary ? " PRIMARY KEY" : ""} on existing table ${table.name} fills a sequence value into every row, which rewrites the table under an ACCESS EXCLUSIVE lock${primary ? ", then builds the primary key's index under the same lock" : ""}.`, [
        REWRITE_COST,
        `To avoid the long lock: add the column without a default, attach the sequence as its default (new rows get values), fill existing rows in batches, then ${primary ? "build a unique index CONCURRENTLY and add the primary key USING INDEX after a validated CHECK (col IS NOT NULL)" : "set NOT NULL after a validated CHECK (col IS NOT NULL)"}.`,
      ]);
      return;
    }
    const defaultExpr = column.raw_default ?? constraints.find((c) => c.contype === "CONSTR_DEFAULT")?.raw_expr;
    const volatile = volatileCall(defaultExpr);
    if (volatile) {
      this.push(statement, table, [col], "volatile-default", col, `ADD COLUMN ${col} DEFAULT ${volatile} on existing table ${table.name} evaluates the volatile default once per row, which rewrites the table under an ACCESS EXCLUSIVE lock.`, [
        `Since PostgreSQL 11 a non-volatile default (a constant, now()) is stored once in the catalog and adds no rewrite; a volatile one (${volatile}) must be computed for each row.`,
        REWRITE_COST,
        `Add the column without the default, then \`ALTER TABLE ${tableRef(table.schema, table.name)} ALTER COLUMN ${quoteIdent(col)} SET DEFAULT ...\` (new rows only), and fill existing rows in batches.`,
      ]);
    }
  }

  private onMaintenance(statement: Statement): void {
    const vacuum = node(statement, "VacuumStmt");
    if (vacuum?.is_vacuumcmd && (vacuum.options ?? []).some((o) => (o as { DefElem?: { defname?: string; arg?: unknown } }).DefElem?.defname === "full" && !isFalse((o as { DefElem: { arg?: unknown } }).DefElem.arg))) {
      const relations = (vacuum.rels ?? []).map((r) => tableName((r as { VacuumRelation?: { relation?: never } }).VacuumRelation?.relation));
      const tables = relations.length > 0 ? relations : [null];
      for (const table of tables) {
        if (table && !this.existing(statement, table)) continue;
        this.push(statement, table ?? WHOLE_DATABASE, [], "vacuum-full", table?.name ?? "database", `VACUUM FULL ${table ? `on ${table.name}` : "on every table of the database"} rewrites ${table ? "the table" : "each table"} under an ACCESS EXCLUSIVE lock.`, [
          REWRITE_COST,
          `Plain VACUUM reclaims space for reuse without the exclusive lock; to shrink a table online use an extension that rebuilds it beside the old one (pg_repack, pg_squeeze).`,
        ]);
      }
      return;
    }
    const cluster = node(statement, "ClusterStmt");
    if (cluster) {
      const table = tableName(cluster.relation);
      if (table && !this.existing(statement, table)) return;
      this.push(statement, table ?? WHOLE_DATABASE, [], "cluster", table?.name ?? "database", `CLUSTER ${table ? table.name : "(every clustered table)"} rewrites ${table ? "the table" : "each table"} in index order under an ACCESS EXCLUSIVE lock.`, [
        REWRITE_COST,
        `Rebuild the table online with an extension (pg_repack), or run CLUSTER at a quiet time outside the migrations.`,
      ]);
      return;
    }
    const refresh = node(statement, "RefreshMatViewStmt");
    if (refresh && !refresh.concurrent) {
      const view = tableName(refresh.relation);
      if (!this.existing(statement, view)) return;
      const unique = this.uniqueMatviews.has(view.key);
      this.push(statement, view, [], "refresh", view.name, `REFRESH MATERIALIZED VIEW ${view.name} without CONCURRENTLY holds an ACCESS EXCLUSIVE lock on the view while it runs the whole query again: reads of ${view.name} wait.`, [
        unique
          ? `${view.name} has a unique index on plain columns with no WHERE clause, so \`REFRESH MATERIALIZED VIEW CONCURRENTLY ${tableRef(view.schema, view.name)}\` works: it takes an EXCLUSIVE lock, which lets reads continue, and runs in a transaction too.`
          : `REFRESH ... CONCURRENTLY lets reads continue, but needs a unique index on ${view.name} over plain columns with no WHERE clause, and these migrations create none: create one first.`,
      ], unique ? { sql: `REFRESH MATERIALIZED VIEW CONCURRENTLY ${tableRef(view.schema, view.name)};`, placement: "replace" } : undefined);
      return;
    }
    const alter = alterTable(statement);
    for (const command of alter?.commands ?? []) {
      if (command.subtype !== "AT_DetachPartition" || !alter) continue;
      const partitionCmd = (command.def as { PartitionCmd?: { concurrent?: boolean; name?: never } } | undefined)?.PartitionCmd;
      if (partitionCmd?.concurrent || !this.existing(statement, alter.table)) continue;
      const partition = tableName(partitionCmd?.name);
      this.push(statement, alter.table, [], "detach-partition", partition?.name ?? "", `DETACH PARTITION ${partition?.name ?? ""} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on ${alter.table.name}: every query on the partitioned table waits for it, and it waits for every running one.`, [
        `DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+) takes only SHARE UPDATE EXCLUSIVE on the parent. It cannot run inside a transaction block, so it goes in a migration of its own that the tool runs outside a transaction, and it is refused when the table has a default partition.`,
      ]);
    }
  }

  /** Column types and unique indexes on materialized views, as each statement leaves them. */
  private track(statement: Statement, alter: ReturnType<typeof alterTable>): void {
    const create = node(statement, "CreateStmt");
    const created = tableName(create?.relation);
    if (created && !(create?.if_not_exists && this.history.knows(created.key))) this.types.set(created.key, create?.tableElts ?? []);
    for (const command of alter?.commands ?? []) {
      const column = (command.def as { ColumnDef?: ColumnDef } | undefined)?.ColumnDef;
      const name = command.subtype === "AT_AddColumn" ? column?.colname : command.subtype === "AT_AlterColumnType" ? command.name : undefined;
      const type = columnType(column?.typeName);
      if (!alter || !name || !type) continue;
      let columns = this.columnTypes(alter.table.key);
      if (!columns) this.types.set(alter.table.key, (columns = new Map()));
      columns.set(name, type);
    }
    const index = node(statement, "IndexStmt") as IndexStmt | undefined;
    const on = tableName(index?.relation);
    if (index?.unique && on && !index.whereClause && (index.indexParams ?? []).every((p) => (p as { IndexElem?: { name?: string } }).IndexElem?.name)) this.uniqueMatviews.add(on.key);
  }

  /** The column types of a table (see types), read from its CREATE TABLE on first use. */
  private columnTypes(key: string): Map<string, ColumnType> | undefined {
    const entry = this.types.get(key);
    if (!Array.isArray(entry)) return entry;
    const columns = new Map<string, ColumnType>();
    for (const element of entry) {
      const column = (element as { ColumnDef?: ColumnDef }).ColumnDef;
      const type = column?.colname ? columnType(column.typeName) : null;
      if (column?.colname && type) columns.set(column.colname, type);
    }
    this.types.set(key, columns);
    return columns;
  }

  private push(statement: Statement, table: TableName, columns: string[], kind: string, name: string, message: string, details: string[], fix?: SafetyDraft["fix"]): void {
    // One statement, one finding: several columns changed by one ALTER TABLE share its one rewrite.
    const prior = this.drafts.find((d) => d.statement === statement && d.kind === kind);
    if (prior) {
      prior.columns.push(...columns);
      prior.name = prior.columns.join(", ");
      const base = / rewrites /.test(message) ? message : prior.message;
      prior.message = base.replace(/^(ALTER COLUMN|ADD COLUMN) \S+/, `$1 ${prior.name}`);
      prior.summary = this.summary(prior.message, table, kind);
      if (base === message) prior.details = details;
      return;
    }
    this.drafts.push({
      statement,
      table,
      outsideMigrations: !this.history.knows(table.key),
      columns,
      kind,
      name,
      message,
      summary: this.summary(message, table, kind),
      details,
      fix,
    });
  }

  private summary(message: string, table: TableName, kind: string): string {
    const short = message.split(" on existing table ")[0].split(" without CONCURRENTLY")[0];
    const what = kind === "refresh" ? "refresh" : kind === "detach-partition" ? "wait" : "rewrite";
    const instead = kind === "refresh" ? "refresh CONCURRENTLY" : kind === "detach-partition" ? "detach CONCURRENTLY" : "do it in steps that keep the lock short";
    return `${short} locks ${table.name || "each table"} against reads and writes for a full ${what}: ${instead}.`;
  }
}

const WHOLE_DATABASE: TableName = { schema: "", name: "", key: "" };

function isFalse(arg: unknown): boolean {
  const value = arg as { A_Const?: { boolval?: { boolval?: boolean } }; String?: { sval?: string } } | undefined;
  if (!value) return false;
  if (value.A_Const?.boolval) return value.A_Const.boolval.boolval !== true;
  return /^(false|off|0)$/i.test(value.String?.sval ?? "");
}

export const tableRewrite: Rule = {
  id: "table-rewrite",
  description:
    "Statements that rewrite an existing table or hold ACCESS EXCLUSIVE for a full pass over it: a column type change not done in place, ADD COLUMN with a volatile default, stored generated and serial/identity columns, VACUUM FULL, CLUSTER, REFRESH MATERIALIZED VIEW and DETACH PARTITION without CONCURRENTLY.",
  defaultSeverity: "routine",
  check(context: RuleContext) {
    const check = new RewriteCheck(context);
    for (const statement of context.statements) check.visit(statement);
    return finishDrafts("table-rewrite", context, check.drafts);
  },
};
