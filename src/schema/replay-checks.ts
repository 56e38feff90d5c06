// Statements PostgreSQL refuses because they name a column the table does not have: an index key,
// INCLUDE column or predicate, a PRIMARY KEY / UNIQUE / EXCLUDE key, a foreign key's columns on
// either side, a CHECK expression. The server rejects the whole statement, so the replay reports it
// (with the server's own wording) and builds nothing from it. Messages follow
// src/backend/commands/indexcmds.c (ComputeIndexAttrs), parser/parse_utilcmd.c
// (transformIndexConstraint), commands/tablecmds.c (transformColumnNameList) and parse_expr.c.
import type { Column, Table } from "../core/types.js";
import { listItems, nodeKind, referencedColumns, stringList } from "./ast.js";
import type { ReplayState } from "./replay-state.js";

/** Columns every table has without declaring them. */
const SYSTEM_COLUMNS = new Set(["tableoid", "ctid", "xmin", "cmin", "xmax", "cmax"]);

/** Column names as the checks ask them: whether a name is one, and all of them in order (for a rejection's hint). */
export interface ColumnNames extends Iterable<string> {
  has(name: string): boolean;
}

/** A column the statement names that is missing, in the server's words, or null. */
export type Missing = { message: string; column: string; columns: ColumnNames } | null;

/**
 * The table's column names, or null when the model may not hold them all (then nothing is checked).
 * A view read when asked, not a copy: every CREATE INDEX and foreign key asks, about a name or two, of
 * tables with a handful of columns, where a scan costs less than building a Set. Use it before the table changes.
 */
export function knownColumns(r: ReplayState, table: Table): ColumnNames | null {
  if (!r.state(table).columnsKnown) return null;
  return new TableColumnNames(table.columns);
}

class TableColumnNames implements ColumnNames {
  constructor(private readonly columns: readonly Column[]) {}

  has(name: string): boolean {
    for (const column of this.columns) if (column.name === name) return true;
    return false;
  }

  *[Symbol.iterator](): Iterator<string> {
    for (const column of this.columns) yield column.name;
  }
}

function firstMissing(names: Iterable<string>, columns: ColumnNames, wording: (name: string) => string): Missing {
  for (const name of names) {
    if (!columns.has(name) && !SYSTEM_COLUMNS.has(name)) return { message: wording(name), column: name, columns };
  }
  return null;
}

const doesNotExist = (name: string) => `column "${name}" does not exist`;
const namedInKey = (name: string) => `column "${name}" named in key does not exist`;
const inForeignKey = (name: string) => `column "${name}" referenced in foreign key constraint does not exist`;

/** CREATE INDEX: key columns and expressions, INCLUDE columns, the predicate. */
export function missingInIndexStmt(columns: ColumnNames, node: any): Missing {
  for (const param of node.indexParams ?? []) {
    const elem = param.IndexElem ?? {};
    const names = elem.name !== undefined ? [elem.name] : referencedColumns(elem.expr);
    const missing = firstMissing(names, columns, doesNotExist);
    if (missing) return missing;
  }
  const include = (node.indexIncludingParams ?? []).map((p: any) => p.IndexElem?.name).filter((n: unknown) => typeof n === "string");
  return firstMissing(include, columns, doesNotExist) ?? firstMissing(referencedColumns(node.whereClause ?? null), columns, doesNotExist);
}

/**
 * A table constraint (or a column's own constraint, `ownColumn` set) against the columns it may use.
 * `referenced` gives the columns of the table a foreign key points at, when the model knows them.
 */
export function missingInConstraint(
  columns: ColumnNames,
  constraint: any,
  referenced: (relation: any) => ColumnNames | null,
  options: { ownColumn?: string; alterTable?: string } = {},
): Missing {
  const own = options.ownColumn !== undefined ? [options.ownColumn] : null;
  switch (constraint.contype) {
    case "CONSTR_PRIMARY":
    case "CONSTR_UNIQUE": {
      if (constraint.indexname) return null;
      // ALTER TABLE ... ADD PRIMARY KEY checks the columns while marking them NOT NULL first.
      const keyWording =
        constraint.contype === "CONSTR_PRIMARY" && options.alterTable
          ? (name: string) => `column "${name}" of relation "${options.alterTable}" does not exist`
          : namedInKey;
      return (
        firstMissing(own ?? stringList(constraint.keys), columns, keyWording) ??
        firstMissing(stringList(constraint.including), columns, namedInKey)
      );
    }
    case "CONSTR_EXCLUSION": {
      const elems = (constraint.exclusions ?? []).map((pair: any) => listItems(pair)[0]?.IndexElem ?? {});
      for (const elem of elems) {
        const names = elem.name !== undefined ? [elem.name] : referencedColumns(elem.expr);
        const missing = firstMissing(names, columns, elem.name !== undefined ? namedInKey : doesNotExist);
        if (missing) return missing;
      }
      return firstMissing(referencedColumns(constraint.where_clause ?? null), columns, doesNotExist);
    }
    case "CONSTR_FOREIGN": {
      const local = firstMissing(own ?? stringList(constraint.fk_attrs), columns, inForeignKey);
      if (local) return local;
      const target = referenced(constraint.pktable);
      return target ? firstMissing(stringList(constraint.pk_attrs), target, inForeignKey) : null;
    }
    case "CONSTR_CHECK":
      return firstMissing(referencedColumns(constraint.raw_expr), columns, doesNotExist);
    default:
      return null;
  }
}

/**
 * CREATE TABLE: every constraint against the columns the table will have (its own, its parents',
 * those copied by LIKE). Null too when a parent or LIKE source is outside the model.
 */
export function missingInCreateTable(r: ReplayState, node: any, self: { schema: string; name: string }): Missing {
  if (node.ofTypename) return null;
  const columns = new Set<string>();
  for (const inherited of node.inhRelations ?? []) {
    const parent = r.resolve(inherited.RangeVar ?? inherited);
    const known = parent ? knownColumns(r, parent) : null;
    if (!known) return null;
    for (const name of known) columns.add(name);
  }
  const constraints: Array<{ constraint: any; ownColumn?: string }> = [];
  for (const element of node.tableElts ?? []) {
    const [kind, body] = nodeKind(element);
    if (kind === "ColumnDef" && body.colname) {
      columns.add(body.colname);
      for (const item of body.constraints ?? []) if (item.Constraint) constraints.push({ constraint: item.Constraint, ownColumn: body.colname });
    } else if (kind === "Constraint") {
      constraints.push({ constraint: body });
    } else if (kind === "TableLikeClause") {
      const source = r.resolve(body.relation);
      const known = source ? knownColumns(r, source) : null;
      if (!known) return null;
      for (const name of known) columns.add(name);
    }
  }
  const referenced = (relation: any): ColumnNames | null => {
    if (!relation?.relname) return null;
    const schema = relation.schemaname ?? self.schema;
    if (relation.relname === self.name && schema === self.schema) return columns;
    const table = r.resolve(relation);
    return table ? knownColumns(r, table) : null;
  };
  for (const { constraint, ownColumn } of constraints) {
    // A column's own CHECK may name the other columns too; its PRIMARY KEY / UNIQUE / REFERENCES only itself.
    const missing = missingInConstraint(columns, constraint, referenced, { ownColumn: constraint.contype === "CONSTR_CHECK" ? undefined : ownColumn });
    if (missing) return missing;
  }
  return null;
}

/** ALTER TABLE: its commands in order, columns added and dropped on the way. */
export function missingInAlterTable(r: ReplayState, table: Table, node: any): Missing {
  // Only added constraints name columns that must exist; most ALTER TABLEs add none (ADD COLUMN x text, SET DEFAULT).
  if (!(node.cmds ?? []).some(addsConstraint)) return null;
  // A fresh set: the commands add and drop columns in it.
  const known = knownColumns(r, table);
  if (!known) return null;
  const columns = new Set(known);
  const referenced = (relation: any): ColumnNames | null => {
    const target = r.resolve(relation);
    if (target === table) return columns;
    return target ? knownColumns(r, target) : null;
  };
  for (const item of node.cmds ?? []) {
    const cmd = item.AlterTableCmd;
    if (!cmd) continue;
    if (cmd.subtype === "AT_AddColumn" && cmd.def?.ColumnDef?.colname) {
      const def = cmd.def.ColumnDef;
      columns.add(def.colname);
      for (const c of def.constraints ?? []) {
        if (!c.Constraint) continue;
        const own = c.Constraint.contype === "CONSTR_CHECK" ? undefined : def.colname;
        const missing = missingInConstraint(columns, c.Constraint, referenced, { ownColumn: own, alterTable: table.name });
        if (missing) return missing;
      }
    } else if (cmd.subtype === "AT_DropColumn" && cmd.name) {
      columns.delete(cmd.name);
    } else if (cmd.subtype === "AT_AddConstraint" && cmd.def?.Constraint) {
      const missing = missingInConstraint(columns, cmd.def.Constraint, referenced, { alterTable: table.name });
      if (missing) return missing;
    }
  }
  return null;
}

/** An ALTER TABLE command that adds a constraint, on its own or with a new column. */
function addsConstraint(item: any): boolean {
  const cmd = item?.AlterTableCmd;
  if (cmd?.subtype === "AT_AddConstraint") return Boolean(cmd.def?.Constraint);
  if (cmd?.subtype !== "AT_AddColumn") return false;
  const def = cmd.def?.ColumnDef;
  return Boolean(def?.colname) && (def.constraints ?? []).some((c: any) => c?.Constraint);
}

/**
 * The problem's text: the server's error, and when the name only differs in case from a column the
 * table has, why (an unquoted name is folded to lower case).
 */
export function rejectionMessage(statement: string, missing: NonNullable<Missing>): string {
  const sameButCase = [...missing.columns].find((c) => c !== missing.column && c.toLowerCase() === missing.column.toLowerCase());
  const hint = sameButCase
    ? ` (the table has "${sameButCase}": an unquoted name is folded to lower case, so write "${sameButCase}" in double quotes)`
    : "";
  return `PostgreSQL rejects this ${statement}: ${missing.message}${hint}; the audit replays the migrations without it`;
}
