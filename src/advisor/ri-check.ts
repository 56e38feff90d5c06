// Can an index serve the referential-integrity check PostgreSQL runs for each delete or key update of a
// referenced row: `SELECT 1 FROM ONLY child WHERE fk1 = $1 [AND fk2 = $2 ...] FOR KEY SHARE OF child`
// (ri_triggers.c, RI_FKey_check / ri_Check_Pk_Match). The index must have the FK columns as its leading
// keys (any order), or be unique on a subset of them, with a predicate that `fk = $n` proves. Shared by
// fk-index, query-index (which folds an FK into the index it recommends) and the coverage table.
import type { Index } from "../core/types.js";
import { keyLabel } from "../schema/lookup.js";
import { parseSql } from "../sql/parser.js";

/** Why an index cannot serve the check, as a tag: whyIndexCannotServe words it. */
type Refusal = "hash" | "method" | "not-leading" | "predicate";

/** A plain-column key that is one of the FK columns. */
function isFkKey(key: Index["keys"][number], fkColumns: string[]): boolean {
  return key.column !== undefined && fkColumns.includes(key.column);
}

/** The FK columns hold one to a few names: `includes` beats building a Set for each index asked about. */
function refusal(index: Index, fkColumns: string[]): Refusal | null {
  const method = lowerMethod(index);
  if (method === "hash") {
    if (fkColumns.length === 1 && index.keys.length === 1 && index.keys[0].column === fkColumns[0]) {
      return predicateProblem(index, fkColumns) === null ? null : "predicate";
    }
    return "hash";
  }
  if (method !== "btree") return "method";
  const keys = index.keys;
  // A unique index (or primary key) whose keys all lie among the FK columns finds at most one row for
  // the check's `fk1 = $1 AND fk2 = $2 ...`: PostgreSQL's RI query uses it and stops there.
  if (index.unique && keys.length > 0 && keys.length <= fkColumns.length && keys.every((k) => isFkKey(k, fkColumns))) {
    return predicateProblem(index, fkColumns) === null ? null : "predicate";
  }
  // The first fkColumns.length keys are all FK columns (looped: asked for every index of every foreign key).
  let leadingMatch = keys.length >= fkColumns.length;
  for (let i = 0; leadingMatch && i < fkColumns.length; i++) leadingMatch = isFkKey(keys[i], fkColumns);
  // Whether the FK columns are only INCLUDE columns changes the wording alone: whyIndexCannotServe tells.
  if (!leadingMatch) return "not-leading";
  return predicateProblem(index, fkColumns) === null ? null : "predicate";
}

/** The index's access method in lower case, without a lower-casing call for the usual btree and hash. */
function lowerMethod(index: Index): string {
  return index.method === "btree" || index.method === "hash" ? index.method : index.method.toLowerCase();
}

/** FK columns that are INCLUDE columns of the index and none of its keys: a lookup cannot search on them. */
function includeOnly(index: Index, fkColumns: string[]): boolean {
  return !index.keys.some((k) => isFkKey(k, fkColumns)) && index.include.some((c) => fkColumns.includes(c));
}

/** True when the index serves the check: whyIndexCannotServe would say null, without wording a reason. */
export function servesForeignKeyCheck(index: Index, fkColumns: string[]): boolean {
  return refusal(index, fkColumns) === null;
}

/** Why an index that touches the FK columns cannot serve the check, or null when it can. */
export function whyIndexCannotServe(index: Index, fkColumns: string[]): string | null {
  switch (refusal(index, fkColumns)) {
    case null:
      return null;
    case "hash":
      return "is a hash index, which serves only a single-column foreign key on that same column";
    case "method":
      return `is a ${index.method.toUpperCase()} index; the check's equality lookup needs a btree (or single-column hash) index`;
    case "not-leading":
      if (includeOnly(index, fkColumns)) return "has the foreign key columns only as INCLUDE columns, which a lookup cannot search on";
      return `starts with (${index.keys.map(keyLabel).join(", ")}), so the foreign key columns are not its leading keys`;
    case "predicate":
      return predicateProblem(index, fkColumns);
  }
}

/**
 * The FK columns an index that does not serve the whole check still bounds it by, or null: a btree index
 * whose leading keys are some, not all, of the FK columns (or a single-column hash index on one of them),
 * with a predicate `fk = $n` proves. The check `WHERE fk1 = $1 AND fk2 = $2` then reads the index for the
 * leading columns and filters the rest on each row it finds (seen in its generic plan: Index Cond on the
 * leading columns, Filter on the others): every child row of that leading key, not the whole table.
 * Returns the bound columns in index order.
 */
export function leadingColumnsBound(index: Index, fkColumns: string[]): string[] | null {
  return refusal(index, fkColumns) === null ? null : boundColumns(index, fkColumns);
}

/**
 * servesForeignKeyCheck and leadingColumnsBound from one reading of the index (fk-index asks both of every
 * index of every foreign key): `"serves"`, else the bound columns, else null.
 */
export function foreignKeyCover(index: Index, fkColumns: string[]): "serves" | string[] | null {
  return refusal(index, fkColumns) === null ? "serves" : boundColumns(index, fkColumns);
}

/** leadingColumnsBound for an index already known not to serve the whole check. */
function boundColumns(index: Index, fkColumns: string[]): string[] | null {
  const method = lowerMethod(index);
  let bound: string[] = [];
  if (method === "hash") {
    const only = index.keys.length === 1 ? index.keys[0].column : undefined;
    if (only !== undefined && fkColumns.includes(only)) bound = [only];
  } else if (method === "btree") {
    for (const key of index.keys) {
      if (key.column === undefined || !fkColumns.includes(key.column) || bound.includes(key.column)) break;
      bound.push(key.column);
    }
  }
  if (bound.length === 0 || bound.length >= fkColumns.length) return null;
  return predicateProblem(index, fkColumns) === null ? bound : null;
}

/** A partial index serves the check only when `fk = $n` implies its predicate. */
function predicateProblem(index: Index, fkColumns: string[]): string | null {
  if (!index.where && !index.whereAst) return null;
  const ast = predicateAst(index);
  if (!ast) return `is partial (WHERE ${index.where}) with a predicate that could not be read`;
  const impliedByEquality = conjuncts(ast).every((term) => {
    const test = term.NullTest;
    if (!test || test.nulltesttype !== "IS_NOT_NULL") return false;
    const column = columnRefName(test.arg);
    return column !== null && fkColumns.includes(column);
  });
  return impliedByEquality ? null : `is partial (WHERE ${index.where ?? "…"}), and the check's \`= $1\` lookup does not imply that predicate`;
}

/** The AST of a partial index's predicate, parsing the text when the model kept only that. */
function predicateAst(index: Index): Record<string, any> | null {
  if (index.whereAst) return index.whereAst;
  if (!index.where) return null;
  const outcome = parseSql(`SELECT 1 WHERE ${index.where}`);
  if (!outcome.ok) return null;
  return outcome.statements[0]?.ast.SelectStmt?.whereClause ?? null;
}

/** The ANDed terms of a boolean expression. */
function conjuncts(node: Record<string, any>): Record<string, any>[] {
  const bool = node.BoolExpr;
  if (bool && bool.boolop === "AND_EXPR") return (bool.args ?? []).flatMap((arg: Record<string, any>) => conjuncts(arg));
  return [node];
}

/** The column a ColumnRef names (its last field), or null for anything else. */
function columnRefName(node: Record<string, any> | undefined): string | null {
  const fields: Array<Record<string, any>> | undefined = node?.ColumnRef?.fields;
  const last = fields?.[fields.length - 1];
  return last?.String?.sval ?? null;
}
