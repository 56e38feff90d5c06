// What the migration-safety rules share: which tables existed before a migration file ran (from the
// replayed statements, not from the statement's own wording), which tables a migration proves empty,
// and how a draft becomes a finding (severity from size hints, settled files NOTED without a fix).
import type { AlterTableCmd, ColumnDef, Constraint, CreateStmt, DropStmt, Node, RangeVar, RenameStmt } from "@pgsql/types";
import type { FindingDraft, Severity, Statement } from "../core/types.js";
import { findTable, isLarge, isSettledMigrationFile, RECENT_MIGRATION_FILES } from "./model.js";
import type { RuleContext } from "./rule.js";
import { nameParts } from "./sql-text.js";

/** The rules whose findings are about how a migration statement locks, scans or rewrites a table. */
export const LOCK_RULES: ReadonlySet<string> = new Set(["index-locking", "constraint-validation", "table-rewrite", "lock-timeout"]);

/** A table as a statement names it: schema defaults to public. */
export interface TableName {
  schema: string;
  name: string;
  /** `schema.name` */
  key: string;
}

export function tableName(relation: RangeVar | undefined): TableName | null {
  if (!relation?.relname) return null;
  const schema = relation.schemaname ?? "public";
  return { schema, name: relation.relname, key: `${schema}.${relation.relname}` };
}

/** The statement node's one key, typed: `node(statement, "AlterTableStmt")`. */
export function node<K extends string>(statement: Statement, kind: K): Extract<Node, Record<K, unknown>>[K] | undefined {
  // The node's one key compared, rather than `ast[kind]` looked up: asked for kinds a statement is not, of
  // trees of many shapes, that lookup misses V8's caches and costs several times more.
  const ast = statement.ast as Record<string, unknown>;
  for (const key in ast) return (key === kind ? ast[key] : undefined) as Extract<Node, Record<K, unknown>>[K] | undefined;
  return undefined;
}

/** The ALTER TABLE subcommands of a statement on a plain table, with the table; null for other statements. */
export function alterTable(statement: Statement): { table: TableName; commands: AlterTableCmd[] } | null {
  const alter = node(statement, "AlterTableStmt");
  if (!alter || (alter.objtype && alter.objtype !== "OBJECT_TABLE")) return null;
  const table = tableName(alter.relation);
  if (!table) return null;
  const commands = (alter.cmds ?? []).map((c) => (c as { AlterTableCmd?: AlterTableCmd }).AlterTableCmd).filter((c): c is AlterTableCmd => c !== undefined);
  return { table, commands };
}

/** The column constraints of a column definition, unwrapped. */
export function columnConstraints(column: ColumnDef): Constraint[] {
  return (column.constraints ?? []).map((c) => (c as { Constraint?: Constraint }).Constraint).filter((c): c is Constraint => c !== undefined);
}

/**
 * Which tables existed before each migration file: made by an earlier file, or not made by these
 * migrations at all. Replays CREATE TABLE (a CREATE TABLE IF NOT EXISTS on a table that exists is a
 * no-op, so it leaves the table's origin alone), CREATE TABLE AS / MATERIALIZED VIEW, renames and drops.
 * Call `existedBefore` for a statement, then `observe` it, for every statement of `statements` in order.
 * The replay itself is done once per statements list and shared (timelineOf): five rules ask.
 */
export class TableHistory {
  private readonly timeline: Timeline;
  /** How many statements have been observed: the history stands just after the last of them. */
  private seen = 0;

  constructor(private readonly statements: Statement[]) {
    this.timeline = timelineOf(statements);
  }

  existedBefore(key: string, statement: Statement): boolean {
    const order = this.createdIn(key);
    return order === undefined || order < statement.fileOrder;
  }

  /** The table is made by these migrations (at any point so far). */
  knows(key: string): boolean {
    return this.createdIn(key) !== undefined;
  }

  /** The history now stands just after `statement`: every statement before it counts as observed, skipped or not. */
  observe(statement: Statement): void {
    // Callers observe each statement in turn; one out of turn is looked up.
    const at = this.statements[this.seen] === statement ? this.seen : this.statements.indexOf(statement);
    if (at < 0) throw new Error("TableHistory.observe: a statement outside the statements it replays");
    this.seen = at + 1;
  }

  /** The file order of the migration that made the table, as the statements observed so far leave it. */
  private createdIn(key: string): number | undefined {
    const changes = this.timeline.get(key);
    if (!changes) return undefined;
    // The last change made by a statement already observed: positions ascend.
    let low = 0;
    let high = changes.at.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (changes.at[mid] < this.seen) low = mid + 1;
      else high = mid;
    }
    return low === 0 ? undefined : changes.order[low - 1];
  }
}

/**
 * Per `schema.table`: the positions in the statements of the statements that changed where it was made, ascending,
 * and its creation file order from just after each (undefined once dropped or renamed away).
 */
type Timeline = Map<string, { at: number[]; order: Array<number | undefined> }>;

const timelines = new WeakMap<Statement[], Timeline>();

/** Replays the statements' CREATE TABLE, CREATE TABLE AS, renames and drops once (see TableHistory). */
function timelineOf(statements: Statement[]): Timeline {
  let timeline = timelines.get(statements);
  if (timeline) return timeline;
  timeline = new Map();
  const createdIn = new Map<string, number>();
  const change = (key: string, at: number, order: number | undefined) => {
    if (order === undefined) createdIn.delete(key);
    else createdIn.set(key, order);
    let changes = timeline!.get(key);
    if (!changes) timeline!.set(key, (changes = { at: [], order: [] }));
    changes.at.push(at);
    changes.order.push(order);
  };
  statements.forEach((statement, at) => {
    const create = node(statement, "CreateStmt") as CreateStmt | undefined;
    const createAs = node(statement, "CreateTableAsStmt");
    const made = tableName(create?.relation ?? createAs?.into?.rel);
    if (made) {
      const noOp = (create?.if_not_exists || createAs?.if_not_exists) && createdIn.has(made.key);
      if (!noOp) change(made.key, at, statement.fileOrder);
      return;
    }
    const rename = node(statement, "RenameStmt") as RenameStmt | undefined;
    if (rename && (rename.renameType === "OBJECT_TABLE" || rename.renameType === "OBJECT_MATVIEW") && rename.newname) {
      const from = tableName(rename.relation);
      if (!from) return;
      const order = createdIn.get(from.key);
      change(from.key, at, undefined);
      if (order !== undefined) change(`${from.schema}.${rename.newname}`, at, order);
      return;
    }
    const drop = node(statement, "DropStmt") as DropStmt | undefined;
    if (drop && (drop.removeType === "OBJECT_TABLE" || drop.removeType === "OBJECT_MATVIEW")) {
      for (const object of drop.objects ?? []) {
        const parts = nameParts(((object as { List?: { items?: Node[] } }).List?.items ?? []) as Array<Record<string, any>>);
        if (parts.length > 0) change(`${parts.length > 1 ? parts[parts.length - 2] : "public"}.${parts[parts.length - 1]}`, at, undefined);
      }
    }
  });
  timelines.set(statements, timeline);
  return timeline;
}

function hasDefault(column: ColumnDef): boolean {
  return column.raw_default !== undefined || columnConstraints(column).some((c) => c.contype === "CONSTR_DEFAULT");
}

const SERIAL_TYPES = new Set(["serial", "serial4", "serial8", "bigserial", "smallserial", "serial2"]);

export function isSerialType(column: ColumnDef): boolean {
  const names = nameParts((column.typeName?.names ?? []) as Array<Record<string, any>>);
  return names.length === 1 && SERIAL_TYPES.has(names[0].toLowerCase());
}

/**
 * The tables a migration file proves empty when it runs: it adds a NOT NULL column with no default
 * (and no identity, generation or serial that would fill it), which PostgreSQL refuses on a table with
 * rows ("column ... contains null values"). Keys are `file\0schema.table`.
 */
export function provenEmpty(statements: Statement[]): ReadonlySet<string> {
  let proven = provenOf.get(statements);
  if (!proven) provenOf.set(statements, (proven = findProvenEmpty(statements)));
  return proven;
}

// index-locking and every rule that finishes drafts ask for the same statements: replay them once
// (a set's statements are not changed once loaded).
const provenOf = new WeakMap<Statement[], ReadonlySet<string>>();

function findProvenEmpty(statements: Statement[]): ReadonlySet<string> {
  const proven = new Set<string>();
  for (const statement of statements) {
    // Most ALTER TABLE statements add no column: looked at before alterTable() builds its view of one.
    const cmds = node(statement, "AlterTableStmt")?.cmds as Array<{ AlterTableCmd?: AlterTableCmd }> | undefined;
    if (!cmds?.some((c) => c.AlterTableCmd?.subtype === "AT_AddColumn")) continue;
    const alter = alterTable(statement);
    if (!alter) continue;
    for (const command of alter.commands) {
      if (command.subtype !== "AT_AddColumn") continue;
      const column = (command.def as { ColumnDef?: ColumnDef } | undefined)?.ColumnDef;
      if (!column) continue;
      const constraints = columnConstraints(column);
      const notNull = column.is_not_null || constraints.some((c) => c.contype === "CONSTR_NOTNULL" || c.contype === "CONSTR_PRIMARY");
      const filled = hasDefault(column) || isSerialType(column) || constraints.some((c) => c.contype === "CONSTR_IDENTITY" || c.contype === "CONSTR_GENERATED");
      if (notNull && !filled) proven.add(`${statement.location.file}\0${alter.table.key}`);
    }
  }
  return proven;
}

/** Where a column with no default was added: the ADD COLUMN, and the transaction it ran in. */
export interface BareColumn {
  /** The ALTER TABLE ... ADD COLUMN statement. */
  statement: Statement;
  /** True when `statement` and the statement asked about share one open transaction, so the ADD's ACCESS EXCLUSIVE lock is still held. */
  sameTransaction: boolean;
}

/**
 * Columns a migration file added with no default (no DEFAULT, identity, generation or serial): every
 * existing row holds NULL there until a statement writes it. PostgreSQL adds such a column without
 * touching the rows (ATExecAddColumn in tablecmds.c). Keyed per file, `schema.table.column`; an UPDATE
 * that sets the column, an INSERT that lists it (or lists no columns), or a MERGE or COPY on the table
 * afterwards forgets it, since it may write values there.
 * Call `addColumn` for each ADD COLUMN subcommand as it is met, `addedBy` to ask, and `observe` after
 * each statement, in apply order.
 */
export class BareColumns {
  private readonly byFile = new Map<string, Map<string, { statement: Statement; epoch: number }>>();
  /** Per file: bumped whenever a transaction ends or a statement runs outside one. */
  private readonly epochs = new Map<string, number>();
  /** Per file: tables an INSERT, UPDATE, MERGE or COPY wrote so far. */
  private readonly written = new Map<string, Set<string>>();

  addColumn(statement: Statement, tableKey: string, column: ColumnDef | undefined): void {
    if (!column?.colname) return;
    const filled = hasDefault(column) || isSerialType(column) || columnConstraints(column).some((c) => c.contype === "CONSTR_IDENTITY" || c.contype === "CONSTR_GENERATED");
    const file = statement.location.file;
    let columns = this.byFile.get(file);
    if (!columns) this.byFile.set(file, (columns = new Map()));
    const key = `${tableKey}.${column.colname}`;
    if (filled) columns.delete(key);
    else columns.set(key, { statement, epoch: this.epochs.get(file) ?? 0 });
  }

  /** The bare ADD COLUMN of `tableKey.column` earlier in `statement`'s file, or undefined. */
  addedBy(statement: Statement, tableKey: string, column: string): BareColumn | undefined {
    const file = statement.location.file;
    const found = this.byFile.get(file)?.get(`${tableKey}.${column}`);
    if (!found) return undefined;
    const sameTransaction = statement.inTransaction && found.statement.inTransaction && found.epoch === (this.epochs.get(file) ?? 0);
    return { statement: found.statement, sameTransaction };
  }

  /**
   * The bare column a partial index's predicate needs non-NULL, or undefined: a top-level AND term of
   * `where` that is `col IS NOT NULL`, `col IS TRUE`, a plain boolean `col`, or an operator, IN or LIKE
   * with `col` as an operand (strict, so NULL never passes). Every value of a bare column is NULL, so
   * such an index starts empty: its build reads the table once and sorts nothing (PostgreSQL's
   * index_build: ExecQual rejects every heap tuple before it reaches the sort).
   */
  emptyingPredicate(statement: Statement, tableKey: string, where: Node | undefined): { column: string; added: BareColumn } | undefined {
    for (const term of andTerms(where)) {
      const column = nonNullColumn(term);
      const added = column ? this.addedBy(statement, tableKey, column) : undefined;
      if (column && added) return { column, added };
    }
    return undefined;
  }

  /** True when an earlier statement of `statement`'s file wrote rows into `tableKey` (so a table the file created may hold rows). */
  writtenEarlier(statement: Statement, tableKey: string): boolean {
    return this.written.get(statement.location.file)?.has(tableKey) ?? false;
  }

  observe(statement: Statement): void {
    const file = statement.location.file;
    // Only the ends of transactions after a file's first ADD COLUMN can tell two of its statements apart (addedBy).
    if (this.byFile.has(file)) {
      const kind = node(statement, "TransactionStmt")?.kind;
      if (!statement.inTransaction || kind === "TRANS_STMT_COMMIT" || kind === "TRANS_STMT_ROLLBACK" || kind === "TRANS_STMT_PREPARE") {
        this.epochs.set(file, (this.epochs.get(file) ?? 0) + 1);
      }
    }
    const ast = statement.ast as Record<string, any>;
    const written = tableName((ast.InsertStmt ?? ast.UpdateStmt ?? ast.MergeStmt ?? ast.CopyStmt)?.relation);
    if (written) {
      let tables = this.written.get(file);
      if (!tables) this.written.set(file, (tables = new Set()));
      tables.add(written.key);
    }
    const columns = written ? this.byFile.get(file) : undefined;
    if (written && columns) {
      // UPDATE sets the columns it names; INSERT fills the columns it lists (all of them without a list); MERGE and COPY may fill any.
      const targets: unknown[] | undefined = ast.UpdateStmt?.targetList ?? ast.InsertStmt?.cols;
      const named = targets?.length ? new Set(targets.map((t) => (t as { ResTarget?: { name?: string } }).ResTarget?.name)) : null;
      for (const key of [...columns.keys()]) {
        if (key.startsWith(`${written.key}.`) && (!named || named.has(key.slice(written.key.length + 1)))) columns.delete(key);
      }
    }
  }
}

/** A migration-safety finding before severity, settled-file handling and the empty-table proof are applied. */
export interface SafetyDraft {
  statement: Statement;
  table: TableName;
  columns: string[];
  /** Distinguishes findings of one rule on one statement (`check`, `set-not-null`, ...). */
  kind: string;
  name: string;
  message: string;
  summary: string;
  details: string[];
  fix?: { sql: string; placement: "replace" | "after" | "separate" };
  /** Use this severity instead of the size-based one (a certain failure, a NOTED observation). */
  severity?: Severity;
  /**
   * The table is not created by these migrations (it comes from the platform, a declared schema or an
   * older dump), so a fix written in place of the statement cannot be checked against the replay: the
   * SQL is given in the details instead.
   */
  outsideMigrations?: boolean;
}

/** The reason a finding on a migration that already ran is NOTED and carries no fix. */
export const SETTLED_NOTE = `NOTED because applied long ago: this statement cannot be changed now; it is listed for the record. The migration is older than the newest ${RECENT_MIGRATION_FILES} of its set, so it has already run, and editing it would break the migration tool's record of it (Prisma Migrate's checksums and drift detection, Flyway's validate). Write new migrations the way this finding describes.`;

/** A settled finding's summary keeps what comes before the first ": " (the advice after it no longer applies). */
export function settledSummary(summary: string): string {
  const cut = summary.indexOf(": ");
  return cut < 0 ? summary : summary.slice(0, cut);
}

/** A settled finding's details: SETTLED_NOTE, then the draft's paragraphs. Concatenated, not joined: thousands of old files each carry the note. */
export function settledDetails(details: string[]): string {
  return details.length === 0 ? SETTLED_NOTE : SETTLED_NOTE + "\n\n" + details.join("\n\n");
}

/** IMPORTANT when the table's size hint says 100,000 rows or more, else ROUTINE. */
export function sizeSeverity(context: RuleContext, table: TableName): Severity {
  const model = findTable(context.schema, table.schema, table.name);
  return model && isLarge(context.config, model) ? "important" : "routine";
}

/**
 * Drafts to findings: drafts on a table the same migration proves empty are dropped; drafts in a settled
 * migration file are NOTED without a fix; the rest take the size-based severity unless they carry their own.
 */
export function finishDrafts(rule: string, context: RuleContext, drafts: SafetyDraft[]): FindingDraft[] {
  const empty = provenEmpty(context.statements);
  const findings: FindingDraft[] = [];
  for (const d of drafts) {
    if (empty.has(`${d.statement.location.file}\0${d.table.key}`)) continue;
    const base = {
      rule,
      table: d.table.key,
      columns: d.columns,
      message: d.message,
      location: d.statement.location,
      key: `${d.kind}:${d.name}:${d.statement.location.file}`,
    };
    if (isSettledMigrationFile(context.set, d.statement.location.file)) {
      findings.push({ ...base, severity: "noted", summary: `${settledSummary(d.summary)}: applied long ago, listed for the record.`, details: settledDetails(d.details) });
      continue;
    }
    const fix = d.fix && !d.outsideMigrations ? d.fix : undefined;
    const details = d.fix && !fix ? [...d.details, `In place of the statement:\n\n${d.fix.sql}`] : d.details;
    findings.push({ ...base, severity: d.severity ?? sizeSeverity(context, d.table), summary: d.summary, details: details.join("\n\n"), ...(fix ? { fix } : {}) });
  }
  return findings;
}

function andTerms(where: Node | undefined): Node[] {
  if (!where) return [];
  if ("BoolExpr" in where && where.BoolExpr.boolop === "AND_EXPR") return (where.BoolExpr.args ?? []).flatMap(andTerms);
  return [where];
}

/** The one unqualified or table-qualified column a strict predicate term needs non-NULL, or undefined. */
function nonNullColumn(term: Node): string | undefined {
  const columnOf = (n: Node | undefined): string | undefined => {
    const fields = n && "ColumnRef" in n ? n.ColumnRef.fields ?? [] : [];
    const last = fields[fields.length - 1];
    return last && "String" in last ? last.String.sval : undefined;
  };
  if ("NullTest" in term) return term.NullTest.nulltesttype === "IS_NOT_NULL" ? columnOf(term.NullTest.arg) : undefined;
  if ("BooleanTest" in term) return term.BooleanTest.booltesttype === "IS_TRUE" || term.BooleanTest.booltesttype === "IS_FALSE" ? columnOf(term.BooleanTest.arg) : undefined;
  if ("A_Expr" in term) {
    const kind = term.A_Expr.kind;
    if (kind !== "AEXPR_OP" && kind !== "AEXPR_IN" && kind !== "AEXPR_LIKE" && kind !== "AEXPR_ILIKE") return undefined;
    return columnOf(term.A_Expr.lexpr) ?? columnOf(term.A_Expr.rexpr);
  }
  return columnOf(term);
}
