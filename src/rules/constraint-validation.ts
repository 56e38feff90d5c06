// Constraints that make PostgreSQL read every row of an existing table under a lock that stops writes
// (or reads too): CHECK without NOT VALID, ADD COLUMN ... DEFAULT ... REFERENCES, ALTER CONSTRAINT ...
// ENFORCED (PostgreSQL 18), and SET NOT NULL without a validated CHECK (col IS NOT NULL).
// Follows PostgreSQL's ATRewriteTables / validateForeignKeyConstraint / NotNullImpliedByRelConstraints
// (src/backend/commands/tablecmds.c) and the ALTER TABLE reference page, "Notes".
import type { A_Expr, AlterTableCmd, ATAlterConstraint, ColumnDef, Constraint, NullTest } from "@pgsql/types";
import type { Statement } from "../core/types.js";
import { deparseNode } from "../sql/parser.js";
import { alterTable, BareColumns, columnConstraints, finishDrafts, node, TableHistory, tableName, type BareColumn, type SafetyDraft, type TableName } from "./migration-scope.js";
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
  const seen = checkColumns(constraint);
  return seen.length === 1 ? seen[0] : null;
}

/** Every column a CHECK expression names, once each. */
function checkColumns(constraint: Constraint): string[] {
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
  return [...seen];
}

/** What an expression yields when every column it names is NULL: a boolean, NULL, some other non-null constant, or not known. */
type Outcome = "true" | "false" | "null" | "value" | "unknown";

/** Built-in operators, all strict: NULL in, NULL out (pg_operator's functions are STRICT). */
const STRICT_OPERATORS = new Set(["=", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "~~", "~~*", "!~~", "!~~*", "~", "~*", "!~", "!~*"]);

/**
 * Evaluates a CHECK expression with all its columns NULL, in SQL's three-valued logic, for the shapes whose
 * result is certain: `col IS [NOT] NULL`, strict comparison operators, IN, BETWEEN, LIKE, AND, OR, NOT,
 * constants and casts. Anything else (a function call, CASE, COALESCE) is "unknown".
 */
function withNulls(value: unknown): Outcome {
  const n = value as Record<string, any> | undefined;
  if (!n) return "unknown";
  if (n.ColumnRef) return "null";
  if (n.A_Const) return n.A_Const.isnull ? "null" : n.A_Const.boolval ? (n.A_Const.boolval.boolval ? "true" : "false") : "value";
  if (n.TypeCast) return withNulls(n.TypeCast.arg) === "null" ? "null" : "unknown";
  if (n.NullTest) {
    const arg = withNulls(n.NullTest.arg);
    if (arg === "null") return n.NullTest.nulltesttype === "IS_NULL" ? "true" : "false";
    return "unknown";
  }
  if (n.A_Expr) {
    const e = n.A_Expr;
    const op = nameParts((e.name ?? []) as Array<Record<string, any>>).pop() ?? "";
    const sides = [withNulls(e.lexpr), ...(e.rexpr?.List ? (e.rexpr.List.items ?? []).map(withNulls) : [withNulls(e.rexpr)])];
    if (sides.includes("unknown")) return "unknown";
    const strict = (e.kind === "AEXPR_OP" && STRICT_OPERATORS.has(op)) || e.kind === "AEXPR_LIKE" || e.kind === "AEXPR_ILIKE";
    if (strict) return sides.includes("null") ? "null" : "unknown";
    // x IN (...) and x BETWEEN a AND b are NULL when x is NULL.
    if ((e.kind === "AEXPR_IN" || e.kind === "AEXPR_BETWEEN" || e.kind === "AEXPR_NOT_BETWEEN") && sides[0] === "null") return "null";
    return "unknown";
  }
  if (n.BoolExpr) {
    const args: Outcome[] = (n.BoolExpr.args ?? []).map(withNulls);
    if (args.some((a) => a === "unknown" || a === "value")) return "unknown";
    if (n.BoolExpr.boolop === "NOT_EXPR") return args[0] === "true" ? "false" : args[0] === "false" ? "true" : "null";
    const [win, lose] = n.BoolExpr.boolop === "OR_EXPR" ? ["true", "false"] : ["false", "true"];
    if (args.includes(win as Outcome)) return win as Outcome;
    return args.every((a) => a === lose) ? (lose as Outcome) : "null";
  }
  return "unknown";
}

/** Where the VALIDATE goes: a later migration when the file runs in one transaction, else right after the ADD. */
function splitNote(statement: Statement, shared: string | null): string {
  return shared
    ? `Here ${shared}, where the ADD's ACCESS EXCLUSIVE lock lasts until it commits: put the VALIDATE CONSTRAINT in a later migration of its own, or it scans under that lock anyway.`
    : `Run the VALIDATE CONSTRAINT after the ADD has committed (the next statement here, since ${statement.location.file} does not run in a transaction).`;
}

class ValidationCheck {
  readonly drafts: SafetyDraft[] = [];
  private readonly history: TableHistory;
  /** Columns this file added with no default: every value NULL until written. */
  private readonly bare = new BareColumns();
  /** `schema.table.column` -> a CHECK (col IS NOT NULL) that is validated. */
  private readonly validatedNotNull = new Set<string>();
  /** `schema.table.constraint` -> the column of a CHECK (col IS NOT NULL) added NOT VALID and not validated yet. */
  private readonly pendingNotNull = new Map<string, string>();

  constructor(private readonly context: RuleContext) {
    this.history = new TableHistory(context.statements);
  }

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
        if (command.subtype === "AT_AddColumn") this.bare.addColumn(statement, alter.table.key, (command.def as { ColumnDef?: ColumnDef } | undefined)?.ColumnDef);
      }
    }
    const create = node(statement, "CreateStmt");
    const created = tableName(create?.relation);
    if (created) {
      // A table constraint is an element of its own, a column constraint one of the column's: looked at in place, unwrapped only for a CHECK.
      for (const element of create?.tableElts ?? []) {
        const column = (element as { ColumnDef?: ColumnDef }).ColumnDef;
        for (const wrapped of column ? column.constraints ?? [] : [element]) {
          const c = (wrapped as { Constraint?: Constraint }).Constraint;
          const col = c?.contype === "CONSTR_CHECK" ? notNullColumn(c) : null;
          if (col) this.validatedNotNull.add(`${created.key}.${col}`);
        }
      }
    }
    this.history.observe(statement);
    this.bare.observe(statement);
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
    if (this.onFreshColumns(statement, table, constraint, name)) return;
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

  /**
   * A CHECK that reads only columns this transaction added with no default: every row holds NULL there, and
   * the ADD COLUMN's ACCESS EXCLUSIVE lock lasts until commit whatever the CHECK does, so NOT VALID would save
   * one pass over the table, not the block. NOTED. Returns true when reported.
   */
  private onFreshColumns(statement: Statement, table: TableName, constraint: Constraint, name: string): boolean {
    const columns = checkColumns(constraint);
    const added = columns.map((c) => this.bare.addedBy(statement, table.key, c));
    if (columns.length === 0 || !added.every((a): a is BareColumn => a !== undefined && a.sameTransaction)) return false;
    const outcome = withNulls(constraint.raw_expr);
    // False on NULL: the statement fails on any row, which is not a question of locks; the general finding stands.
    if (outcome === "false") return false;
    const first = added.reduce((a, b) => (b.statement.location.line < a.statement.location.line ? b : a));
    const cols = columns.join(", ");
    const verdict =
      outcome === "true" || outcome === "null"
        ? `the check is ${outcome === "true" ? "true" : "NULL, which a CHECK accepts,"} for a NULL ${cols}, so no row can fail`
        : `whether a NULL ${cols} passes depends on the expression, but it is the same for every row`;
    const addLine = first.statement.location.line;
    this.drafts.push({
      statement,
      table,
      outsideMigrations: !this.history.knows(table.key),
      // Like every CHECK finding, keyed by the constraint, not its columns.
      columns: [],
      kind: "check",
      name,
      severity: "noted",
      message: `ADD CONSTRAINT ${name} CHECK reads every row of ${table.name}, but ${cols} ${columns.length > 1 ? "were" : "was"} added at line ${addLine} of this migration without a default, so every value is NULL, and that ADD COLUMN already holds an ACCESS EXCLUSIVE lock on ${table.name} until this migration commits.`,
      summary: `CHECK ${name} is on ${columns.length > 1 ? "columns" : "a column"} added at line ${addLine} of this transaction: every value is NULL and ${table.name} is locked until commit anyway; NOT VALID would save one pass, not the block.`,
      details: [
        `NOTED: ${verdict}. The ADD COLUMN at line ${addLine} took ACCESS EXCLUSIVE on ${table.name}, which this migration's transaction holds until it commits: reads and writes on ${table.name} wait for the whole migration whether the CHECK validates here or not. Adding it NOT VALID and validating in a later migration would spare one pass over ${table.name} under that lock, nothing more.`,
      ],
    });
    return true;
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
