// Migration statements that lock a table they need not lock: index builds and drops without
// CONCURRENTLY on tables that already existed, constraints that build an index or validate a
// foreign key under a heavy lock, and CONCURRENTLY where a transaction makes it fail.
import type { FindingDraft, Severity, Statement } from "../core/types.js";
import { deparseNode } from "../sql/parser.js";
import { scriptedByFix, scriptNotes } from "../advisor/fix-placement.js";
import { findTable, isLarge, isSettledMigrationFile } from "./model.js";
import { elemLabel, hasConcurrentlyOption, History, qualifiedList, relationName, type Origin } from "./index-history.js";
import { heldLock, laterAccessExclusive, sameFileAccessExclusive, statementLocks, timeoutCoverage, type HeldLock, type TimeoutCoverage } from "./lock-levels.js";
import { BareColumns, provenEmpty, SETTLED_NOTE, settledDetails, settledSummary } from "./migration-scope.js";
import { emptyPartialIndexDraft, failsInPlace, nullOnlyForeignKeyDraft, replacesWholeStatement, type LockingDraft as Draft } from "./index-locking-drafts.js";
import { lookupShape } from "./table-evidence.js";
import { weighDrop, type DropWeight } from "./drop-index-weight.js";
import type { Rule, RuleContext } from "./rule.js";
import { insertConcurrently, joinedColumnNames, makeObjectName, nameParts, parsesCleanly, quoteIdent, tableRef, terminate } from "./sql-text.js";
import { doBlockFailure, frameworkAdvice, sharedQueryFailure, transactionAdvice } from "./transactions.js";

/** An earlier statement of the same transaction that took ACCESS EXCLUSIVE on a table. */
class LockingCheck {
  private readonly history = new History();
  readonly drafts: Draft[] = [];
  /** Per migration file: the tables its open transaction holds ACCESS EXCLUSIVE on, and which statement took it. */
  private readonly held = new Map<string, Map<string, HeldLock>>();
  /** Per migration file: the foreign keys its open transaction added NOT VALID to existing tables (`schema.table.name`). */
  private readonly addedNotValid = new Map<string, Map<string, Statement>>();

  /** Per migration file: where it sets lock_timeout, and where the lock-timeout rule reports it. Replayed on first use: only a NOTED drop asks. */
  private timeouts?: Map<string, TimeoutCoverage>;

  constructor(private readonly context: RuleContext) {}

  /** A finding in a settled migration file carries no fix (see check()): none is written, scanned or parsed for it. */
  private fixable(statement: Statement): boolean {
    return !isSettledMigrationFile(this.context.set, statement.location.file);
  }

  /** DROP INDEX weighed by the table's evidence (drop-index-weight.ts), from the size-based severity. */
  private dropSeverity(table: { schema: string; name: string } | null, statement: Statement): DropWeight {
    return weighDrop(this.context, table, statement, this.severityFor(table), () => (this.timeouts ??= timeoutCoverage(this.context.statements)));
  }

  private severityFor(table: { schema: string; name: string } | null): Severity {
    const model = table ? findTable(this.context.schema, table.schema, table.name) : undefined;
    if (model && isLarge(this.context.config, model)) return "important";
    return model && lookupShape(this.context, model) ? "noted" : "routine";
  }

  /** The sentence that says why a lock finding is NOTED: the table holds a handful of rows. */
  smallTableNote(table: { schema: string; name: string } | null): string[] {
    const model = table ? findTable(this.context.schema, table.schema, table.name) : undefined;
    const reason = model && !isLarge(this.context.config, model) ? lookupShape(this.context, model) : null;
    return reason ? [`NOTED because ${reason}: on a table that small the lock lasts milliseconds.`] : [];
  }

  private isPartitioned(key: string, schema: string, name: string): boolean {
    return this.history.partitioned.has(key) || Boolean(findTable(this.context.schema, schema, name)?.partitionBy);
  }

  /** The extra paragraph for a fix that adds CONCURRENTLY to a statement running in a transaction. */
  private transactionNote(statement: Statement, constraint = false): string[] {
    const advice = transactionAdvice(statement, this.context.set.framework);
    if (!advice) return [];
    return [`CONCURRENTLY cannot run inside a transaction block, and here ${advice.why}. ${(constraint && advice.constraintRemedy) || advice.remedy}`];
  }

  /** CONCURRENTLY inside a transaction: the migration fails. Returns true when reported. */
  private concurrentlyInTransaction(statement: Statement, what: string, table: { schema: string; name: string } | null, columns: string[], name: string): boolean {
    // A DO body runs as a function; a dbmate transaction:false section with other statements is one implicit transaction.
    const certain = statement.fromDoBlock
      ? doBlockFailure(what, transactionAdvice(statement, this.context.set.framework) && !statement.inExplicitTransaction ? frameworkAdvice(this.context.set.framework) : null)
      : this.sharedQuery(statement)
        ? sharedQueryFailure(what)
        : null;
    if (certain) {
      this.drafts.push({ statement, table, columns, kind: "concurrently-in-transaction", name, severity: "important", ...certain });
      return true;
    }
    const advice = transactionAdvice(statement, this.context.set.framework);
    if (!advice) return false;
    this.drafts.push({
      statement,
      table,
      columns,
      kind: "concurrently-in-transaction",
      name,
      severity: advice.certainFailure ? "important" : "routine",
      message: `${what} CONCURRENTLY cannot run inside a transaction block, and ${advice.why}, so this migration fails with SQLSTATE 25001.`,
      summary: `${what} CONCURRENTLY fails inside a transaction (SQLSTATE 25001): run it outside one.`,
      details: [
        `PostgreSQL builds or drops an index concurrently in several transactions of its own, waiting for other transactions in between; it refuses to do that inside an open transaction.`,
        advice.remedy,
      ],
    });
    return true;
  }

  /** CREATE / DROP INDEX CONCURRENTLY on a partitioned table: PostgreSQL refuses it (SQLSTATE 0A000), ON ONLY included. */
  private concurrentlyOnPartitioned(statement: Statement, what: string, table: { schema: string; name: string } | null, columns: string[], name: string): void {
    const target = table ? tableRef(table.schema, table.name) : "the table";
    this.drafts.push({
      statement,
      table,
      columns,
      kind: "concurrently-partitioned",
      name,
      severity: "important",
      message: `${what} CONCURRENTLY on partitioned table ${table?.name ?? ""} always fails: PostgreSQL cannot ${what === "DROP INDEX" ? "drop a partitioned index" : "build an index on a partitioned table"} concurrently (SQLSTATE 0A000).`,
      summary: `${what} CONCURRENTLY fails on partitioned table ${table?.name ?? ""}: ${what === "DROP INDEX" ? "drop it without CONCURRENTLY at a quiet time" : "build it per partition, then attach"}.`,
      details: [
        what === "DROP INDEX"
          ? `Drop the index without CONCURRENTLY, with a short lock_timeout, at a quiet time: it takes ACCESS EXCLUSIVE on ${target} and each partition for a moment.`
          : `Create the index with \`CREATE INDEX ... ON ONLY ${target} ...\` and no CONCURRENTLY (instant: it builds nothing and stays invalid), build the same index CONCURRENTLY on each partition, then \`ALTER INDEX <parent index> ATTACH PARTITION <partition index>\` for each; the parent index becomes valid once every partition has one.`,
      ],
    });
  }

  /** A dbmate section outside a transaction that holds more than one statement: sent as one query, run as one implicit transaction. */
  private sharedQuery(statement: Statement): boolean {
    if (this.context.set.framework !== "dbmate" || statement.inTransaction) return false;
    return this.context.statements.filter((s) => s.location.file === statement.location.file && !s.fromDoBlock).length > 1;
  }

  /** The earlier statement of this statement's transaction that holds ACCESS EXCLUSIVE on the table, if any. */
  private heldBy(statement: Statement, tableKey: string): HeldLock | undefined {
    return statement.inTransaction ? this.held.get(statement.location.file)?.get(tableKey) : undefined;
  }

  private takenLater(statement: Statement, tableKey: string): HeldLock | undefined {
    return laterAccessExclusive(this.context.statements, statement, tableKey);
  }

  /** Records the ACCESS EXCLUSIVE locks a statement leaves held until its transaction ends (lock-levels.ts). */
  private trackLocks(statement: Statement): void {
    const file = statement.location.file;
    const kind: string | undefined = statement.ast.TransactionStmt?.kind;
    if (kind === "TRANS_STMT_COMMIT" || kind === "TRANS_STMT_ROLLBACK" || kind === "TRANS_STMT_PREPARE") {
      this.held.delete(file);
      this.addedNotValid.delete(file);
      return;
    }
    // Outside a transaction each statement commits on its own and releases its locks; the next BEGIN starts afresh.
    if (!statement.inTransaction) {
      this.held.delete(file);
      this.addedNotValid.delete(file);
      return;
    }
    const alter = statement.ast.AlterTableStmt;
    const rel = relationName(alter?.relation);
    if (rel && this.history.tableExistedBefore(rel.key, statement)) {
      for (const cmd of alter.cmds ?? []) {
        const constraint = cmd.AlterTableCmd?.subtype === "AT_AddConstraint" ? cmd.AlterTableCmd.def?.Constraint : undefined;
        if (constraint?.contype !== "CONSTR_FOREIGN" || !constraint.skip_validation) continue;
        const name: string = constraint.conname ?? makeObjectName(rel.name, joinedColumnNames(nameParts(constraint.fk_attrs)), "fkey");
        let added = this.addedNotValid.get(file);
        if (!added) this.addedNotValid.set(file, (added = new Map()));
        added.set(`${rel.key}.${name}`, statement);
      }
    }
    for (const lock of statementLocks(statement)) {
      if (lock.mode !== "ACCESS EXCLUSIVE" || !this.history.tableExistedBefore(lock.table, statement)) continue;
      let tables = this.held.get(file);
      if (!tables) this.held.set(file, (tables = new Map()));
      if (!tables.has(lock.table)) tables.set(lock.table, heldLock(statement));
    }
  }

  /** The paragraph that says the transaction already holds ACCESS EXCLUSIVE, and that the migration should be split. */
  private heldParagraph(held: HeldLock, tableName: string, move: string): string {
    return `The ${held.what} at line ${held.statement.location.line} of this migration already took an ACCESS EXCLUSIVE lock on ${tableName}, and this migration runs in one transaction, so the lock is held until it commits: reads and writes on ${tableName} wait for this statement too, and CONCURRENTLY or NOT VALID in its place cannot help. Split the migration: ${move}`;
  }

  visit(statement: Statement): void {
    this.visitStatement(statement);
    this.trackLocks(statement);
    this.bareColumns.observe(statement);
  }

  private visitStatement(statement: Statement): void {
    const ast = statement.ast;
    if (ast.CreateStmt) this.onCreateTable(statement, ast.CreateStmt);
    else if (ast.CreateTableAsStmt) this.onCreateTableAs(statement, ast.CreateTableAsStmt);
    else if (ast.RenameStmt) this.onRename(ast.RenameStmt);
    else if (ast.IndexStmt) this.onCreateIndex(statement, ast.IndexStmt);
    else if (ast.DropStmt) this.onDrop(statement, ast.DropStmt);
    else if (ast.ReindexStmt) this.onReindex(statement, ast.ReindexStmt);
    else if (ast.AlterTableStmt) this.onAlterTable(statement, ast.AlterTableStmt);
  }

  private onCreateTable(statement: Statement, node: Record<string, any>): void {
    const rel = relationName(node.relation);
    if (!rel) return;
    // CREATE TABLE IF NOT EXISTS on a table an earlier migration made is a no-op: the table stays existing.
    if (node.if_not_exists && this.history.tables.has(rel.key)) return;
    this.history.tables.set(rel.key, { fileOrder: statement.fileOrder, file: statement.location.file });
    if (node.partspec) this.history.partitioned.add(rel.key);
  }

  private onCreateTableAs(statement: Statement, node: Record<string, any>): void {
    const rel = relationName(node.into?.rel);
    if (rel) this.history.tables.set(rel.key, { fileOrder: statement.fileOrder, file: statement.location.file });
  }

  private onRename(node: Record<string, any>): void {
    const rel = relationName(node.relation);
    if (!rel || !node.newname) return;
    const target = `${rel.schema}.${node.newname}`;
    const map = node.renameType === "OBJECT_TABLE" ? this.history.tables : node.renameType === "OBJECT_INDEX" ? this.history.indexes : null;
    if (!map) return;
    const origin = map.get(rel.key);
    map.delete(rel.key);
    if (origin) (map as Map<string, Origin>).set(target, origin);
    if (node.renameType === "OBJECT_TABLE" && this.history.partitioned.delete(rel.key)) this.history.partitioned.add(target);
  }

  private onCreateIndex(statement: Statement, node: Record<string, any>): void {
    const rel = relationName(node.relation);
    if (!rel) return;
    // Labels deparse expression keys: made only for an index a finding may name.
    const labels = (): string[] => (node.indexParams ?? []).map(elemLabel);
    const name: string = node.idxname ?? "";
    if (name) this.history.indexes.set(`${rel.schema}.${name}`, { fileOrder: statement.fileOrder, file: statement.location.file, table: rel.key });
    const table = { schema: rel.schema, name: rel.name };
    const what = node.unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX";
    if (node.concurrent) {
      if (this.isPartitioned(rel.key, rel.schema, rel.name)) this.concurrentlyOnPartitioned(statement, what, table, labels(), name);
      else this.concurrentlyInTransaction(statement, what, table, labels(), name);
      return;
    }
    if (!this.history.tableExistedBefore(rel.key, statement)) return;
    const partitioned = this.isPartitioned(rel.key, rel.schema, rel.name);
    // ON ONLY a partitioned table creates an empty, invalid parent index at once: no build, no long lock.
    if (partitioned && !node.relation.inh) return;
    const columns = labels();
    const held = this.heldBy(statement, rel.key);
    const empty = this.bareColumns.emptyingPredicate(statement, rel.key, node.whereClause);
    if (empty) {
      this.drafts.push(emptyPartialIndexDraft({ statement, table, columns, name, what, column: empty.column, addedAt: empty.added.statement, held }));
      return;
    }
    const details = held
      ? [
          `${rel.key} ${this.history.whereCreated(rel.key)}, so it may hold many rows.`,
          this.heldParagraph(held, rel.name, `end this migration before the ${what}, and build the index in a migration of its own with CONCURRENTLY, which lets reads and writes continue.`),
        ]
      : [
          `${rel.key} ${this.history.whereCreated(rel.key)}, so it may hold many rows, and CREATE INDEX holds a SHARE lock for the whole build: reads continue, but every write waits until the index is built.`,
        ];
    let fix: string | undefined;
    if (partitioned) {
      details.push(
        `${rel.key} is partitioned, and PostgreSQL cannot build an index CONCURRENTLY on a partitioned table. Create it with \`CREATE INDEX ... ON ONLY ${tableRef(rel.schema, rel.name)} ...\` (instant, invalid until complete), build the same index CONCURRENTLY on each partition, then \`ALTER INDEX <parent index> ATTACH PARTITION <partition index>\` for each.`,
      );
    } else {
      details.push(
        `CREATE INDEX CONCURRENTLY lets writes continue (it takes SHARE UPDATE EXCLUSIVE), at the cost of two table scans and waiting for running transactions. If a concurrent build fails it leaves an INVALID index behind: drop it and run the statement again.`,
      );
      details.push(...this.transactionNote(statement));
      if (this.fixable(statement)) fix = insertConcurrently(statement.sql, ["INDEX"]) ?? undefined;
    }
    this.drafts.push({
      statement,
      table,
      columns,
      kind: "create-index",
      name,
      severity: this.severityFor(table),
      message: held
        ? `${what} on existing table ${rel.name} runs while this migration's transaction holds the ACCESS EXCLUSIVE lock its ${held.what} at line ${held.statement.location.line} took, so reads and writes on ${rel.name} wait for the whole build.`
        : `${what} on existing table ${rel.name} without CONCURRENTLY takes a SHARE lock that blocks all writes to ${rel.name} until the build finishes.`,
      summary: held
        ? `${what} blocks reads and writes on ${rel.name} while it builds, under the lock the ${held.what} at line ${held.statement.location.line} holds: split the migration and build it CONCURRENTLY in its own.`
        : `${what} blocks writes to ${rel.name} while it builds: ${partitioned ? "build it per partition with CONCURRENTLY, then attach" : "add CONCURRENTLY"}.`,
      details,
      fix,
      separate: held !== undefined,
    });
  }

  private onDrop(statement: Statement, node: Record<string, any>): void {
    const objects: Array<Record<string, any>> = node.objects ?? [];
    if (node.removeType === "OBJECT_TABLE") {
      for (const object of objects) {
        const rel = qualifiedList(object.List?.items ?? []);
        this.history.tables.delete(rel.key);
        this.history.partitioned.delete(rel.key);
      }
      return;
    }
    if (node.removeType !== "OBJECT_INDEX") return;
    const names = objects.map((object) => qualifiedList(object.List?.items ?? []));
    const origins = names.map((n) => this.history.indexes.get(n.key));
    const tableKey = origins.find((o) => o?.table)?.table ?? null;
    const table = tableKey ? { schema: tableKey.slice(0, tableKey.indexOf(".")), name: tableKey.slice(tableKey.indexOf(".") + 1) } : null;
    const label = names.map((n) => n.name).join(", ");
    if (node.concurrent) {
      if (table && this.isPartitioned(tableKey ?? "", table.schema, table.name)) this.concurrentlyOnPartitioned(statement, "DROP INDEX", table, [], label);
      else this.concurrentlyInTransaction(statement, "DROP INDEX", table, [], label);
    } else {
      const existing = names.filter((n) => this.history.indexExistedBefore(n.key, statement));
      if (existing.length > 0) {
        const onPartitioned = table !== null && this.isPartitioned(tableKey ?? "", table.schema, table.name);
        const dropHeld = tableKey ? this.heldBy(statement, tableKey) : undefined;
        // An earlier or later statement of the same transaction locks the table the same way until commit: the
        // drop itself is as brief, and CONCURRENTLY would spare no one.
        const takenAnyway = dropHeld ?? (tableKey ? this.takenLater(statement, tableKey) : undefined);
        // Statement by statement (no transaction), another statement of the file still locks the table the same way in this deploy.
        const sameFile = !takenAnyway && tableKey ? sameFileAccessExclusive(this.context.statements, statement, tableKey) : undefined;
        const other = takenAnyway ?? sameFile;
        const anyway = other && table ? `the ${other.what} at line ${other.statement.location.line}` : null;
        const details = anyway
          ? [
              sameFile
                ? `NOTED: this migration takes ACCESS EXCLUSIVE on ${table!.name} anyway, at line ${sameFile.statement.location.line}; each of its statements commits on its own, so both locks are brief, and dropping the index CONCURRENTLY would spare reads and writes only this drop's own moment. What matters is how long those locks are waited for: a short \`lock_timeout\` before the migration keeps a queued lock from blocking everyone behind it.`
                : `NOTED: dropping the index CONCURRENTLY in a migration of its own would not spare reads and writes on ${table!.name}: this migration's transaction takes ACCESS EXCLUSIVE on it at line ${takenAnyway!.statement.location.line} anyway. What matters is how long that lock is waited for: a short \`lock_timeout\` before the migration keeps a queued lock from blocking everyone behind it.`,
            ]
          : [
              `DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table: it waits for every running query on the table, and every query that arrives meanwhile, reads included, queues behind it. DROP INDEX CONCURRENTLY waits for those queries without blocking new ones.`,
            ];
        const weighed = anyway ? null : this.dropSeverity(table, statement);
        details.push(...(weighed?.severity === "routine" ? weighed.details : []));
        let fix: string | undefined;
        if (anyway) {
          // No fix: the later statement's lock stays whatever this one does.
        } else if (weighed?.severity === "noted") {
          // No fix: on a table nothing shows busy, CONCURRENTLY (alone in a migration) buys little; the lock_timeout note says what does.
          details.push(...weighed.details);
        } else if (onPartitioned) {
          details.push(`The index belongs to a partitioned table, where PostgreSQL cannot drop an index CONCURRENTLY; run it at a quiet time with a short lock_timeout.`);
        } else if (node.behavior === "DROP_CASCADE") {
          details.push(`DROP INDEX CONCURRENTLY does not support CASCADE: drop what depends on the index first, then the index concurrently.`);
        } else {
          details.push(...this.transactionNote(statement));
          // Computed for a settled file too: its summary says "add CONCURRENTLY" only when there is a fix.
          fix =
            names.length === 1
              ? (insertConcurrently(statement.sql, ["INDEX"]) ?? undefined)
              : names.map((n) => `DROP INDEX CONCURRENTLY IF EXISTS ${n.schema === "public" ? quoteIdent(n.name) : `${quoteIdent(n.schema)}.${quoteIdent(n.name)}`};`).join("\n");
        }
        this.drafts.push({
          statement,
          table,
          columns: [],
          kind: "drop-index",
          name: label,
          severity: anyway ? "noted" : weighed!.severity,
          message: anyway
            ? sameFile
              ? `DROP INDEX ${label} takes an ACCESS EXCLUSIVE lock on ${table!.name}, but ${anyway} of this migration takes the same lock on ${table!.name} anyway.`
              : `DROP INDEX ${label} takes an ACCESS EXCLUSIVE lock on ${table!.name}, but ${anyway} takes the same lock in the same transaction, which holds it until commit.`
            : `DROP INDEX ${label} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock that blocks reads and writes on ${table ? table.name : "its table"} while it waits and runs.`,
          summary: anyway
            ? `DROP INDEX ${label}: ${anyway} locks ${table!.name} the same way in this ${sameFile ? "migration" : "transaction"}; CONCURRENTLY would not help.`
            : weighed?.severity === "noted"
              ? `DROP INDEX ${label} locks ${table!.name} for a moment; nothing shows it busy, so only the wait for the lock matters: bound it with lock_timeout.`
              : `DROP INDEX ${label} blocks reads and writes on ${table ? table.name : "its table"}${fix ? ": add CONCURRENTLY" : ""}.`,
          details,
          fix,
        });
      }
    }
    for (const n of names) this.history.indexes.delete(n.key);
  }

  private onReindex(statement: Statement, node: Record<string, any>): void {
    const kind: string = node.kind ?? "";
    const rel = relationName(node.relation);
    const target = rel?.name ?? node.name ?? "";
    const what = kind.replace("REINDEX_OBJECT_", "");
    if (what === "SYSTEM") return;
    let table: { schema: string; name: string } | null = null;
    if (what === "TABLE" && rel) table = { schema: rel.schema, name: rel.name };
    if (what === "INDEX" && rel) {
      const owner = this.history.indexes.get(rel.key)?.table;
      if (owner) table = { schema: owner.slice(0, owner.indexOf(".")), name: owner.slice(owner.indexOf(".") + 1) };
    }
    if (hasConcurrentlyOption(node.params)) {
      this.concurrentlyInTransaction(statement, `REINDEX ${what}`, table, [], target);
      return;
    }
    if (what === "INDEX" && rel && !this.history.indexExistedBefore(rel.key, statement)) return;
    if (what === "TABLE" && rel && !this.history.tableExistedBefore(rel.key, statement)) return;
    const details = [
      `REINDEX without CONCURRENTLY holds a SHARE lock on the table (writes wait) and an ACCESS EXCLUSIVE lock on each index it rebuilds (queries that would use it wait) until it finishes. REINDEX CONCURRENTLY rebuilds beside the old index and swaps them.`,
      ...this.transactionNote(statement),
    ];
    this.drafts.push({
      statement,
      table,
      columns: [],
      kind: "reindex",
      name: target,
      severity: this.severityFor(table),
      message: `REINDEX ${what} ${target} without CONCURRENTLY blocks writes${table ? ` to ${table.name}` : ""} until the rebuild finishes.`,
      summary: `REINDEX ${what} ${target} blocks writes${table ? ` to ${table.name}` : ""}: add CONCURRENTLY.`,
      details,
      fix: this.fixable(statement) ? (insertConcurrently(statement.sql, ["INDEX", "TABLE", "SCHEMA", "DATABASE"]) ?? undefined) : undefined,
    });
  }

  private onAlterTable(statement: Statement, node: Record<string, any>): void {
    const rel = relationName(node.relation);
    if (!rel || (node.objtype && node.objtype !== "OBJECT_TABLE")) return;
    if (!this.history.tableExistedBefore(rel.key, statement)) return;
    for (const cmd of node.cmds ?? []) {
      const command = cmd.AlterTableCmd;
      if (command?.subtype === "AT_AddColumn") this.bareColumns.addColumn(statement, rel.key, command.def?.ColumnDef);
      if (command?.subtype === "AT_ValidateConstraint" && command.name) this.onValidate(statement, rel, command.name);
      const constraint = command?.subtype === "AT_AddConstraint" ? command.def?.Constraint : undefined;
      if (!constraint) continue;
      if ((constraint.contype === "CONSTR_PRIMARY" || constraint.contype === "CONSTR_UNIQUE") && !constraint.indexname) {
        this.onAddUnique(statement, rel, constraint, this.isPartitioned(rel.key, rel.schema, rel.name));
      } else if (constraint.contype === "CONSTR_FOREIGN" && !constraint.skip_validation) {
        this.onAddForeignKey(statement, node, rel, constraint);
      }
    }
  }

  /** Columns added with no default (every value NULL until written), per file. */
  private readonly bareColumns = new BareColumns();

  /**
   * A foreign key whose validation can find nothing: its columns were added in this migration with no default
   * (all NULL), or it points at a table this migration creates (empty). PostgreSQL still reads the child once
   * (RI_Initial_Check's outer join), but makes no lookups and holds no lock beyond what the migration already does.
   */
  private trivialForeignKey(statement: Statement, rel: { schema: string; name: string; key: string }, columns: string[], referenced: { name: string; key: string } | null, name: string, held: HeldLock | undefined): boolean {
    const added = columns.map((c) => this.bareColumns.addedBy(statement, rel.key, c)?.statement);
    const fresh = columns.length > 0 && added.every((a) => a !== undefined);
    // A parent the migration creates is empty unless the migration filled it first.
    const newParent =
      referenced !== null && referenced.key !== rel.key && !this.history.tableExistedBefore(referenced.key, statement) && !this.bareColumns.writtenEarlier(statement, referenced.key);
    if (!fresh && !newParent) return false;
    this.drafts.push(nullOnlyForeignKeyDraft({ statement, rel, columns, referenced, name, held, addedAt: fresh ? added[0]! : undefined }));
    return true;
  }

  /** VALIDATE CONSTRAINT in the transaction that added the foreign key NOT VALID: the ADD's locks are still held. */
  private onValidate(statement: Statement, rel: { schema: string; name: string; key: string }, name: string): void {
    const added = statement.inTransaction ? this.addedNotValid.get(statement.location.file)?.get(`${rel.key}.${name}`) : undefined;
    if (!added) return;
    const table = { schema: rel.schema, name: rel.name };
    this.drafts.push({
      statement,
      table,
      columns: [],
      kind: "validate-in-transaction",
      name,
      severity: this.severityFor(table),
      message: `VALIDATE CONSTRAINT ${name} runs in the transaction that added it NOT VALID at line ${added.location.line}, so the ADD's SHARE ROW EXCLUSIVE lock is still held while it scans all of ${rel.name}: writes wait for the whole scan, as if NOT VALID had not been used.`,
      summary: `VALIDATE CONSTRAINT ${name} scans ${rel.name} under the lock the ADD at line ${added.location.line} still holds: move it to a later migration.`,
      details: [
        `NOT VALID pays off only when the ADD commits first: then VALIDATE CONSTRAINT scans under SHARE UPDATE EXCLUSIVE, which lets reads and writes continue. In one transaction the ADD's locks last until COMMIT.`,
        `Move the VALIDATE CONSTRAINT into a later migration of its own (or after a COMMIT).`,
      ],
    });
  }

  private onAddUnique(statement: Statement, rel: { schema: string; name: string; key: string }, constraint: Record<string, any>, partitioned: boolean): void {
    const columns = nameParts(constraint.keys);
    if (columns.length === 0) return;
    const primary = constraint.contype === "CONSTR_PRIMARY";
    const kindWord = primary ? "PRIMARY KEY" : "UNIQUE";
    const name: string = constraint.conname ?? (primary ? makeObjectName(rel.name, null, "pkey") : makeObjectName(rel.name, joinedColumnNames(columns), "key"));
    const table = { schema: rel.schema, name: rel.name };
    const details = [
      `${rel.key} ${this.history.whereCreated(rel.key)}. ALTER TABLE ... ADD ${kindWord} builds the constraint's unique index while holding an ACCESS EXCLUSIVE lock on the table, so reads and writes both wait for the whole build.`,
    ];
    let fix: string | undefined;
    if (partitioned) {
      details.push(`${rel.key} is partitioned, so the index cannot be built CONCURRENTLY on the parent; build it on each partition first, then add the constraint at a quiet time.`);
    } else {
      const target = tableRef(rel.schema, rel.name);
      const include = nameParts(constraint.including);
      const nullsNotDistinct = !primary && constraint.nulls_not_distinct ? " NULLS NOT DISTINCT" : "";
      // The build and the attach are two migrations: a migration of several statements runs as one transaction, which
      // CONCURRENTLY refuses (SQLSTATE 25001).
      const sql =
        `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(name)} ON ${target} (${columns.map(quoteIdent).join(", ")})` +
        `${include.length > 0 ? ` INCLUDE (${include.map(quoteIdent).join(", ")})` : ""}${nullsNotDistinct};\n` +
        `-- A later migration, once the index is built:\n` +
        `ALTER TABLE ${target} ADD CONSTRAINT ${quoteIdent(name)} ${kindWord} USING INDEX ${quoteIdent(name)};`;
      if (this.fixable(statement) && parsesCleanly(sql)) fix = sql;
      details.push(
        `Build the unique index CONCURRENTLY first, alone in its migration, then attach it in a later one with ADD CONSTRAINT ... USING INDEX, which only takes the lock for a moment.${primary ? " For a primary key the columns must be NOT NULL; if they are not yet, USING INDEX sets NOT NULL and scans the table under the lock, so add and validate a CHECK (col IS NOT NULL) constraint beforehand." : ""}`,
      );
      // A key column this migration adds does not exist before it runs: the build can only come after it.
      const added = columns.map((c) => ({ column: c, at: this.bareColumns.addedBy(statement, rel.key, c)?.statement })).filter((a) => a.at !== undefined);
      if (added.length > 0) {
        const cols = added.map((a) => a.column).join(", ");
        details.push(
          `${cols} ${added.length > 1 ? "are" : "is"} added at line ${added[0].at!.location.line} of this migration, so the index can be built only once this migration has run: take the ADD ${kindWord} out of it, build the index after it, then attach it.`,
        );
      }
      details.push(...this.transactionNote(statement, true));
    }
    this.drafts.push({
      statement,
      table,
      columns,
      kind: primary ? "add-primary-key" : "add-unique",
      name,
      severity: this.severityFor(table),
      message: `ADD ${kindWord} on existing table ${rel.name} builds its index under an ACCESS EXCLUSIVE lock, blocking reads and writes on ${rel.name} for the whole build.`,
      summary: `ADD ${kindWord} blocks reads and writes on ${rel.name} for the whole index build: build the index CONCURRENTLY first.`,
      details,
      fix,
    });
  }

  private onAddForeignKey(statement: Statement, node: Record<string, any>, rel: { schema: string; name: string; key: string }, constraint: Record<string, any>): void {
    const columns = nameParts(constraint.fk_attrs);
    const referenced = relationName(constraint.pktable);
    const name: string = constraint.conname ?? makeObjectName(rel.name, joinedColumnNames(columns), "fkey");
    const table = { schema: rel.schema, name: rel.name };
    const refName = referenced ? referenced.name : "the referenced table";
    // A self-reference locks one table, named once.
    const locked = referenced && referenced.key === rel.key ? rel.name : `${rel.name} and ${refName}`;
    const target = tableRef(rel.schema, rel.name);
    const held = this.heldBy(statement, rel.key) ?? (referenced ? this.heldBy(statement, referenced.key) : undefined);
    const heldTable = held && this.heldBy(statement, rel.key) === held ? rel.name : refName;
    if (this.trivialForeignKey(statement, rel, columns, referenced, name, this.heldBy(statement, rel.key))) return;
    // In a transaction the ADD's locks last until COMMIT, so a VALIDATE after it gains nothing: it goes in a later migration.
    const split = statement.inTransaction;
    let fix: string | undefined;
    if (this.fixable(statement)) {
      try {
        const single = {
          AlterTableStmt: {
            relation: node.relation,
            cmds: [{ AlterTableCmd: { subtype: "AT_AddConstraint", def: { Constraint: { ...constraint, conname: name, skip_validation: true, initially_valid: false } }, behavior: "DROP_RESTRICT" } }],
            objtype: "OBJECT_TABLE",
          },
        };
        const add = terminate(deparseNode(single));
        const validate = `ALTER TABLE ${target} VALIDATE CONSTRAINT ${quoteIdent(name)};`;
        const sql = split
          ? `-- In this migration, in place of the statement:\n${add}\n-- A later migration of its own:\n${validate}`
          : `${add}\n${validate}`;
        if (parsesCleanly(sql) && /NOT VALID/i.test(sql)) fix = sql;
      } catch {
        fix = undefined;
      }
    }
    this.drafts.push({
      statement,
      table,
      columns,
      kind: "add-foreign-key",
      name,
      severity: this.severityFor(table),
      message: held
        ? `Adding foreign key ${name} to existing table ${rel.name} scans all of ${rel.name} to validate it while this migration's transaction holds the ACCESS EXCLUSIVE lock its ${held.what} at line ${held.statement.location.line} took on ${heldTable}, so reads and writes on ${heldTable} wait for the whole scan.`
        : `Adding foreign key ${name} to existing table ${rel.name} without NOT VALID locks ${locked} against writes (SHARE ROW EXCLUSIVE) while it scans all of ${rel.name} to validate it.`,
      summary: held
        ? `ADD FOREIGN KEY ${name} blocks reads and writes on ${heldTable} while it validates, under the lock the ${held.what} at line ${held.statement.location.line} holds: add it NOT VALID here, VALIDATE in a later migration.`
        : `ADD FOREIGN KEY ${name} blocks writes to ${locked} while it validates: add it NOT VALID, then VALIDATE${split ? " in a later migration" : ""}.`,
      details: [
        `${rel.key} ${this.history.whereCreated(rel.key)}. Add the constraint NOT VALID, which takes the locks only for a moment and checks new rows from then on, then VALIDATE CONSTRAINT, which scans the existing rows under a SHARE UPDATE EXCLUSIVE lock that lets reads and writes continue.`,
        // NOT VALID takes the scan out of this transaction: the held lock then lasts only as long as the rest
        // of the migration, which is the point (unlike an index build, which scans whatever it is called).
        ...(held
          ? [
              `The ${held.what} at line ${held.statement.location.line} of this migration already took an ACCESS EXCLUSIVE lock on ${heldTable}, and this migration runs in one transaction, so the lock is held until it commits and the validating scan runs under it. Added NOT VALID, the constraint needs no scan here, so the lock lasts only as long as the rest of this migration.`,
            ]
          : []),
        split
          ? `This migration runs in one transaction, where the ADD's locks are held until it commits: a VALIDATE in the same migration scans under them and changes nothing. The fix puts the VALIDATE CONSTRAINT in a later migration of its own.${this.context.set.framework === "drizzle" ? " drizzle-kit migrate applies all pending migrations in one transaction, so ship that migration in a later deploy than this one." : ""}`
          : `Run the VALIDATE in a later migration or after a COMMIT: inside the same transaction the ADD's locks are still held while it scans.`,
      ],
      fix,
      separate: split,
    });
  }
}

export { SETTLED_NOTE };

export const indexLocking: Rule = {
  id: "index-locking",
  description: "Migration statements that take locks they need not take: index builds, drops and reindexes without CONCURRENTLY on existing tables, constraints that build or validate under a heavy lock, and CONCURRENTLY inside a transaction.",
  defaultSeverity: "routine",
  check(context) {
    const check = new LockingCheck(context);
    for (const statement of context.statements) check.visit(statement);
    // A migration that adds a NOT NULL column with no default proves its table empty: its lock findings there are noise.
    const empty = provenEmpty(context.statements);
    const failure = (d: Draft) => d.kind === "concurrently-in-transaction" || d.kind === "concurrently-partitioned";
    const drafts = check.drafts.filter((d) => failure(d) || !d.table || !empty.has(`${d.statement.location.file}\0${d.table.schema}.${d.table.name}`));
    return drafts.map((d): FindingDraft => {
      const base = {
        rule: "index-locking",
        table: d.table ? `${d.table.schema}.${d.table.name}` : "",
        columns: d.columns,
        message: d.message,
        location: d.statement.location,
        key: `${d.kind}:${d.name}:${d.statement.location.file}`,
      };
      // A migration older than the newest few of its set has run: editing it breaks the tool's checksums, so no fix.
      if (isSettledMigrationFile(context.set, d.statement.location.file)) {
        return {
          ...base,
          severity: "noted",
          summary: `${settledSummary(d.summary)}: applied long ago, listed for the record.`,
          details: settledDetails(d.details),
        };
      }
      const inPlace = !d.separate && replacesWholeStatement(d) && !failsInPlace(d, context);
      const script = d.fix ? scriptNotes(d.statement, d.fix, context, inPlace) : { details: [] as string[] };
      const details = [...(d.severity === "noted" && !failure(d) ? [...check.smallTableNote(d.table), ...d.details] : d.details), ...script.details];
      return {
        ...base,
        severity: d.severity,
        summary: d.fix && scriptedByFix(d.statement, d.fix, context) ? d.summary.replace(/: add CONCURRENTLY\.$/, ": add CONCURRENTLY, alone in a migration of its own.") : d.summary,
        details: details.join("\n\n"),
        ...(d.fix ? { fix: { sql: script.fix ?? d.fix, placement: inPlace ? "replace" : "separate" } } : {}),
      };
    });
  },
};
