// Constraints that make PostgreSQL read every row of an existing table under a lock that stops writes
// (or reads too): CHECK without NOT VALID, ADD COLUMN ... DEFAULT ... REFERENCES, ALTER CONSTRAINT ...
// ENFORCED (PostgreSQL 18), and SET NOT NULL without a validated CHECK (col IS NOT NULL).
// Follows PostgreSQL's ATRewriteTables / validateForeignKeyConstraint / NotNullImpliedByRelConstraints
// (src/backend/commands/tablecmds.c) and the ALTER TABLE reference page, "Notes".
import type { A_Expr, AlterTableCmd, ATAlterConstraint, ColumnDef, Constraint, NullTest } from "@pgsql/types";
import type { Statement } from "../core/types.js";
import { deparseNode } from "../sql/parser.js";
import { alterTable, columnConstraints, finishDrafts, node, TableHistory, tableName, type SafetyDraft, type TableName } from "./migration-scope.js";
import type { Rule, RuleContext } from "./rule.js";
import { makeObjectName, nameParts, parsesCleanly, quoteIdent, tableRef, terminate } from "./sql-text.js";
import { transactionAdvice } from "./transactions.js";
import { fileAfterReplace, runsAsOneTransaction, scriptWhy } from "../advisor/fix-placement.js";

/** `col IS NOT NULL`: the column a CHECK proves not null, or null for any other expression. */
function notNullColumn(constraint: Constraint): string | null {
  const test = (constraint.raw_expr as { NullTest?: NullTest } | undefined)?.NullTest;
  if (!test || test.nulltesttype !== "IS_NOT_NULL") return null;
  const fields = nameParts(((test.arg as { ColumnRef?: { fields?: unknown[] } } | undefined)?.ColumnRef?.fields ?? []) as Array<Record<string, any>>);
  return fields.length === 1 ? fields[0] : null;
}

/** The column a CHECK expression names when it names exactly one, for PostgreSQL's default constraint name. */
function checkColumn(constraint: Constraint): string | null {
  const seen = new Set<string>();
  const walk = (value: unknown): void => {
    if (!value || typeof value !== "object") return;
    const ref = (value as { ColumnRef?: { fields?: unknown[] } }).ColumnRef;
    if (ref) {
      const parts = nameParts((ref.fields ?? []) as Array<Record<string, any>>);
      if (parts.length > 0) seen.add(parts[parts.length - 1]);
      return;
    }
    for (const child of Object.values(value as Record<string, unknown>)) walk(child);
  };
  walk(constraint.raw_expr as A_Expr | undefined);
  return seen.size === 1 ? [...seen][0] : null;
}

/** Where the VALIDATE goes: a later migration when the file runs in one transaction, else right after the ADD. */
function splitNote(statement: Statement, shared: string | null): string {
  return shared
    ? `Here ${shared}, where the ADD's ACCESS EXCLUSIVE lock lasts until it commits: put the VALIDATE CONSTRAINT in a later migration of its own, or it scans under that lock anyway.`
    : `Run the VALIDATE CONSTRAINT after the ADD has committed (the next statement here, since ${statement.location.file} does not run in a transaction).`;
}

class ValidationCheck {
  readonly drafts: SafetyDraft[] = [];
  private readonly history = new TableHistory();
  /** `schema.table.column` -> a CHECK (col IS NOT NULL) that is validated. */
  private readonly validatedNotNull = new Set<string>();
  /** `schema.table.constraint` -> the column of a CHECK (col IS NOT NULL) added NOT VALID and not validated yet. */
  private readonly pendingNotNull = new Map<string, string>();

  constructor(private readonly context: RuleContext) {}

  /**
   * Why the steps of a fix written in place of `statement` would share one transaction, or null when each
   * commits on its own: the tool wraps the file, or sends it as one script once it holds `fixSql`'s statements.
   */
  private sharedTransaction(statement: Statement, fixSql: string): string | null {
    const advice = transactionAdvice(statement, this.context.set.framework);
    if (advice) return advice.why;
    if (statement.fromDoBlock || !runsAsOneTransaction(this.context.set, statement.location.file, fileAfterReplace(this.context.statements, statement, fixSql))) return null;
    return scriptWhy(this.context.set, statement.location.file) ?? "this file runs as one transaction";
  }

  /** Per file: CHECK constraints its open transaction added NOT VALID on existing tables (`schema.table.name` -> the ADD). */
  private readonly addedNotValid = new Map<string, Map<string, Statement>>();

  visit(statement: Statement): void {
    const kind = node(statement, "TransactionStmt")?.kind;
    if (!statement.inTransaction || kind === "TRANS_STMT_COMMIT" || kind === "TRANS_STMT_ROLLBACK") this.addedNotValid.delete(statement.location.file);
    const alter = alterTable(statement);
    if (alter) {
      const existing = this.history.existedBefore(alter.table.key, statement);
      for (const command of alter.commands) {
        if (existing) this.onCommand(statement, alter.table, command, alter.commands.length);
        this.track(alter.table, command);
      }
    }
    const create = node(statement, "CreateStmt");
    const created = tableName(create?.relation);
    if (created) {
      for (const element of create?.tableElts ?? []) {
        const column = (element as { ColumnDef?: ColumnDef }).ColumnDef;
        const constraints = column ? columnConstraints(column) : [(element as { Constraint?: Constraint }).Constraint].filter((c): c is Constraint => c !== undefined);
        for (const c of constraints) {
          const col = c.contype === "CONSTR_CHECK" ? notNullColumn(c) : null;
          if (col) this.validatedNotNull.add(`${created.key}.${col}`);
        }
      }
    }
    this.history.observe(statement);
  }

  /** Records CHECK (col IS NOT NULL) constraints as they are added and validated. */
  private track(table: TableName, command: AlterTableCmd): void {
    if (command.subtype === "AT_AddConstraint") {
      const constraint = (command.def as { Constraint?: Constraint } | undefined)?.Constraint;
      const column = constraint?.contype === "CONSTR_CHECK" ? notNullColumn(constraint) : null;
      if (!constraint || !column) return;
      if (constraint.skip_validation) {
        if (constraint.conname) this.pendingNotNull.set(`${table.key}.${constraint.conname}`, column);
      } else this.validatedNotNull.add(`${table.key}.${column}`);
    } else if (command.subtype === "AT_ValidateConstraint" && command.name) {
      const column = this.pendingNotNull.get(`${table.key}.${command.name}`);
      if (column) this.validatedNotNull.add(`${table.key}.${column}`);
    }
  }

  private onCommand(statement: Statement, table: TableName, command: AlterTableCmd, commandCount: number): void {
    switch (command.subtype) {
      case "AT_AddConstraint": {
        const constraint = (command.def as { Constraint?: Constraint } | undefined)?.Constraint;
        if (constraint?.contype === "CONSTR_CHECK" && !constraint.skip_validation && constraint.is_enforced !== false) this.onCheck(statement, table, constraint, commandCount);
        if (constraint?.contype === "CONSTR_CHECK" && constraint.skip_validation && constraint.conname && statement.inTransaction) {
          const added = this.addedNotValid.get(statement.location.file) ?? new Map<string, Statement>();
          added.set(`${table.key}.${constraint.conname}`, statement);
          this.addedNotValid.set(statement.location.file, added);
        }
        return;
      }
      case "AT_ValidateConstraint": {
        const added = command.name && statement.inTransaction ? this.addedNotValid.get(statement.location.file)?.get(`${table.key}.${command.name}`) : undefined;
        if (added) this.onValidateInTransaction(statement, table, command.name!, added);
        return;
      }
      case "AT_AddColumn": {
        const column = (command.def as { ColumnDef?: ColumnDef } | undefined)?.ColumnDef;
        if (column) this.onAddColumn(statement, table, column);
        return;
      }
      case "AT_AlterConstraint": {
        const alter = (command.def as { ATAlterConstraint?: ATAlterConstraint } | undefined)?.ATAlterConstraint;
        if (alter?.alterEnforceability && alter.is_enforced) this.onEnforce(statement, table, alter.conname ?? "");
        return;
      }
      case "AT_SetNotNull":
        if (command.name && !this.validatedNotNull.has(`${table.key}.${command.name}`)) this.onSetNotNull(statement, table, command.name, commandCount);
        return;
      default:
        return;
    }
  }

  private onCheck(statement: Statement, table: TableName, constraint: Constraint, commandCount: number): void {
    const name = constraint.conname ?? makeObjectName(table.name, checkColumn(constraint), "check");
    const target = tableRef(table.schema, table.name);
    let fix: SafetyDraft["fix"];
    let shared: string | null = statement.inTransaction ? (transactionAdvice(statement, this.context.set.framework)?.why ?? "this file runs as one transaction") : null;
    if (commandCount === 1) {
      try {
        const add = terminate(
          deparseNode({
            AlterTableStmt: {
              relation: node(statement, "AlterTableStmt")?.relation,
              cmds: [{ AlterTableCmd: { subtype: "AT_AddConstraint", def: { Constraint: { ...constraint, conname: name, skip_validation: true, initially_valid: false } }, behavior: "DROP_RESTRICT" } }],
              objtype: "OBJECT_TABLE",
            },
          }),
        );
        const validate = `ALTER TABLE ${target} VALIDATE CONSTRAINT ${quoteIdent(name)};`;
        shared = this.sharedTransaction(statement, `${add}\n${validate}`);
        const sql = shared ? `${add}\n-- A later migration of its own:\n${validate}` : `${add}\n${validate}`;
        if (parsesCleanly(sql) && /NOT VALID/i.test(add)) fix = { sql, placement: "replace" };
      } catch {
        fix = undefined;
      }
    }
    this.drafts.push({
      statement,
      table,
      outsideMigrations: !this.history.knows(table.key),
      columns: [],
      kind: "check",
      name,
      message: `ADD CONSTRAINT ${name} CHECK on existing table ${table.name} reads every row to validate it while holding an ACCESS EXCLUSIVE lock: reads and writes on ${table.name} wait for the whole scan.`,
      summary: `CHECK ${name} blocks reads and writes on ${table.name} while it scans: add it NOT VALID, then VALIDATE${shared ? " in a later migration" : ""}.`,
      details: [
        `ADD CONSTRAINT ... CHECK ... NOT VALID takes the lock only for a moment and checks new and updated rows from then on; VALIDATE CONSTRAINT then reads the existing rows under a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes continue.`,
        splitNote(statement, shared),
      ],
      fix,
    });
  }

  /** VALIDATE of a CHECK the same transaction added NOT VALID: the ADD's ACCESS EXCLUSIVE lock is still held while it scans. */
  private onValidateInTransaction(statement: Statement, table: TableName, name: string, added: Statement): void {
    this.drafts.push({
      statement,
      table,
      outsideMigrations: !this.history.knows(table.key),
      columns: [],
      kind: "validate-in-transaction",
      name,
      message: `VALIDATE CONSTRAINT ${name} runs in the transaction that added it NOT VALID at line ${added.location.line}, so the ADD's ACCESS EXCLUSIVE lock is still held while it reads all of ${table.name}: reads and writes wait for the whole scan, as if NOT VALID had not been used.`,
      summary: `VALIDATE CONSTRAINT ${name} scans ${table.name} under the lock the ADD at line ${added.location.line} still holds: move it to a later migration.`,
      details: [
        `NOT VALID pays off only when the ADD commits first: VALIDATE CONSTRAINT then reads the rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes continue. In one transaction the ADD's lock lasts until COMMIT. Move the VALIDATE CONSTRAINT into a later migration of its own.`,
      ],
    });
  }

  private onAddColumn(statement: Statement, table: TableName, column: ColumnDef): void {
    const constraints = columnConstraints(column);
    const foreign = constraints.find((c) => c.contype === "CONSTR_FOREIGN");
    const defaulted = column.raw_default !== undefined || constraints.some((c) => c.contype === "CONSTR_DEFAULT" && !isNullConstant(c));
    if (!foreign || !defaulted || foreign.skip_validation || foreign.is_enforced === false) return;
    const parent = tableName(foreign.pktable);
    const col = column.colname ?? "";
    this.drafts.push({
      statement,
      table,
      outsideMigrations: !this.history.knows(table.key),
      columns: [col],
      kind: "add-column-references",
      name: col,
      message: `ADD COLUMN ${col} with a DEFAULT and REFERENCES ${parent?.name ?? "its parent"} on existing table ${table.name} validates the new foreign key by reading every row of ${table.name}, each with the default value, while writes to ${table.name} and ${parent?.name ?? "the parent"} wait.`,
      summary: `ADD COLUMN ${col} DEFAULT ... REFERENCES scans ${table.name} to validate: add the column, then the foreign key NOT VALID, then VALIDATE.`,
      details: [
        `Without a default every new value is NULL and PostgreSQL skips the check; with one, every row must be looked up in ${parent?.name ?? "the parent"}. Add the column with its default but without REFERENCES, then \`ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY (${quoteIdent(col)}) REFERENCES ... NOT VALID\`, and VALIDATE CONSTRAINT in a later migration: it reads the rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes continue.`,
      ],
    });
  }

  private onEnforce(statement: Statement, table: TableName, name: string): void {
    this.drafts.push({
      statement,
      table,
      outsideMigrations: !this.history.knows(table.key),
      columns: [],
      kind: "enforce",
      name,
      message: `ALTER CONSTRAINT ${name} ENFORCED on existing table ${table.name} validates the constraint by reading every row of ${table.name} while the ALTER TABLE's lock is held.`,
      summary: `ALTER CONSTRAINT ${name} ENFORCED scans ${table.name} under the ALTER's lock: re-add it NOT VALID, then VALIDATE in a later migration.`,
      details: [
        `Making a NOT ENFORCED constraint enforced checks every existing row at once. To check them without holding writes back, drop the NOT ENFORCED constraint and add it again with NOT VALID (new rows are checked from then on), then VALIDATE CONSTRAINT in a later migration, which reads the rows under SHARE UPDATE EXCLUSIVE.`,
      ],
    });
  }

  private onSetNotNull(statement: Statement, table: TableName, column: string, commandCount: number): void {
    // One ALTER TABLE proves all its SET NOT NULL columns in one scan: one finding.
    const prior = this.drafts.find((d) => d.statement === statement && d.kind === "set-not-null");
    if (prior) {
      prior.columns.push(column);
      prior.name = prior.columns.join(", ");
      prior.message = `SET NOT NULL on ${prior.columns.map((c) => `${table.name}.${c}`).join(", ")} reads every row of existing table ${table.name} to prove there is no NULL, holding an ACCESS EXCLUSIVE lock: reads and writes on ${table.name} wait for the whole scan.`;
      prior.summary = `SET NOT NULL on ${prior.name} of ${table.name} blocks reads and writes while it scans: prove each first with a CHECK (col IS NOT NULL) NOT VALID, then VALIDATE.`;
      return;
    }
    const target = tableRef(table.schema, table.name);
    const check = makeObjectName(table.name, column, "not_null_check");
    const add = `ALTER TABLE ${target} ADD CONSTRAINT ${quoteIdent(check)} CHECK (${quoteIdent(column)} IS NOT NULL) NOT VALID;`;
    const rest = [
      `ALTER TABLE ${target} VALIDATE CONSTRAINT ${quoteIdent(check)};`,
      `ALTER TABLE ${target} ALTER COLUMN ${quoteIdent(column)} SET NOT NULL;`,
      `ALTER TABLE ${target} DROP CONSTRAINT ${quoteIdent(check)};`,
    ].join("\n");
    const shared = this.sharedTransaction(statement, `${add}\n${rest}`);
    const sql = shared ? `${add}\n-- A later migration of its own:\n${rest}` : `${add}\n${rest}`;
    this.drafts.push({
      statement,
      table,
      outsideMigrations: !this.history.knows(table.key),
      columns: [column],
      kind: "set-not-null",
      name: column,
      message: `SET NOT NULL on ${table.name}.${column} reads every row of existing table ${table.name} to prove there is no NULL, holding an ACCESS EXCLUSIVE lock: reads and writes on ${table.name} wait for the whole scan.`,
      summary: `SET NOT NULL on ${table.name}.${column} blocks reads and writes while it scans: prove it first with a CHECK (${column} IS NOT NULL) NOT VALID, then VALIDATE${shared ? " in a later migration" : ""}.`,
      details: [
        `Since PostgreSQL 12, SET NOT NULL skips the scan when a validated CHECK (${column} IS NOT NULL) constraint already proves it. Add that CHECK NOT VALID (a moment's lock), VALIDATE it (reads the rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes continue), then SET NOT NULL (no scan) and drop the CHECK.`,
        ...(shared
          ? [`Here ${shared}, so the ADD's ACCESS EXCLUSIVE lock would last through a VALIDATE in the same migration and the split would buy nothing: the fix keeps the ADD ... NOT VALID in this migration and puts the VALIDATE, the SET NOT NULL and the DROP CONSTRAINT in a later migration of its own.`]
          : []),
      ],
      ...(commandCount === 1 && parsesCleanly(sql) ? { fix: { sql, placement: "replace" as const } } : {}),
    });
  }
}

function isNullConstant(constraint: Constraint): boolean {
  const value = constraint.raw_expr as { A_Const?: { isnull?: boolean } } | undefined;
  return value?.A_Const?.isnull === true;
}

export const constraintValidation: Rule = {
  id: "constraint-validation",
  description:
    "Constraints that read every row of an existing table under a lock that stops writes: CHECK without NOT VALID, ADD COLUMN ... DEFAULT ... REFERENCES, ALTER CONSTRAINT ... ENFORCED, SET NOT NULL without a validated CHECK (col IS NOT NULL).",
  defaultSeverity: "routine",
  check(context) {
    const check = new ValidationCheck(context);
    for (const statement of context.statements) check.visit(statement);
    return finishDrafts("constraint-validation", context, check.drafts);
  },
};
