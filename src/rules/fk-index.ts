// A foreign key with no index the referential-integrity check can use on the referencing table.
// The check PostgreSQL runs for each delete or key update of a referenced row is
// `SELECT 1 FROM ONLY child WHERE fk1 = $1 [AND fk2 = $2 ...] FOR KEY SHARE OF child`,
// so the index must have the FK columns as its leading keys (any order) and a predicate
// that `fk = $n` proves (none, or only IS NOT NULL on those columns).
import type { FindingDraft, ForeignKey, Index, Schema, Table } from "../core/types.js";
import { columnRefName, conjuncts, isKnownSmall, isLarge, keyLabel, partitionAncestors, predicateAst, tableIndexes } from "./model.js";
import type { Rule, RuleContext } from "./rule.js";
import { qualifiedName, recommendedIndexName, tableRef, quoteIdent } from "./sql-text.js";

const ACTIONS_THAT_WRITE = new Set(["cascade", "set null", "set default"]);

/** Why an index that touches the FK columns cannot serve the check, or null when it can. */
export function whyIndexCannotServe(index: Index, fkColumns: string[]): string | null {
  const wanted = new Set(fkColumns);
  const method = index.method.toLowerCase();
  if (method === "hash") {
    if (fkColumns.length === 1 && index.keys.length === 1 && index.keys[0].column === fkColumns[0]) {
      return predicateProblem(index, wanted);
    }
    return "is a hash index, which serves only a single-column foreign key on that same column";
  }
  if (method !== "btree") {
    return `is a ${method.toUpperCase()} index; the check's equality lookup needs a btree (or single-column hash) index`;
  }
  const leading = index.keys.slice(0, fkColumns.length);
  const leadingMatch = leading.length === fkColumns.length && leading.every((k) => k.column !== undefined && wanted.has(k.column));
  if (!leadingMatch) {
    const inKeys = index.keys.some((k) => k.column !== undefined && wanted.has(k.column));
    const inInclude = index.include.some((c) => wanted.has(c));
    if (!inKeys && inInclude) return "has the foreign key columns only as INCLUDE columns, which a lookup cannot search on";
    return `starts with (${index.keys.map(keyLabel).join(", ")}), so the foreign key columns are not its leading keys`;
  }
  return predicateProblem(index, wanted);
}

/** A partial index serves the check only when `fk = $n` implies its predicate. */
function predicateProblem(index: Index, fkColumns: Set<string>): string | null {
  if (!index.where && !index.whereAst) return null;
  const ast = predicateAst(index);
  if (!ast) return `is partial (WHERE ${index.where}) with a predicate that could not be read`;
  const impliedByEquality = conjuncts(ast).every((term) => {
    const test = term.NullTest;
    if (!test || test.nulltesttype !== "IS_NOT_NULL") return false;
    const column = columnRefName(test.arg);
    return column !== null && fkColumns.has(column);
  });
  return impliedByEquality ? null : `is partial (WHERE ${index.where ?? "…"}), and the check's \`= $1\` lookup does not imply that predicate`;
}

/** True when the index touches the FK columns at all (worth naming as a near miss). */
function touches(index: Index, fkColumns: string[]): boolean {
  return index.keys.some((k) => k.column !== undefined && fkColumns.includes(k.column)) || index.include.some((c) => fkColumns.includes(c));
}

function sameForeignKey(a: ForeignKey, b: ForeignKey): boolean {
  return (
    a.columns.join("\0") === b.columns.join("\0") &&
    a.references.schema === b.references.schema &&
    a.references.table === b.references.table &&
    a.references.columns.join("\0") === b.references.columns.join("\0")
  );
}

function checkForeignKey(context: RuleContext, schema: Schema, table: Table, fk: ForeignKey): FindingDraft | null {
  const ancestors = partitionAncestors(schema, table);
  // A partition inherits its parent's foreign key; the parent's finding covers it.
  if (ancestors.some((parent) => parent.foreignKeys.some((pfk) => sameForeignKey(pfk, fk)))) return null;

  const candidates = [...tableIndexes(table), ...ancestors.flatMap((parent) => tableIndexes(parent))];
  const nearMisses: string[] = [];
  for (const index of candidates) {
    const problem = whyIndexCannotServe(index, fk.columns);
    if (problem === null) return null;
    if (touches(index, fk.columns)) nearMisses.push(`${index.name} ${problem}.`);
  }

  const child = qualifiedName(table.schema, table.name);
  const parent = qualifiedName(fk.references.schema, fk.references.table);
  const fkCols = fk.columns.join(", ");
  const referenced = fk.references.columns.length > 0 ? `${fk.references.table}(${fk.references.columns.join(", ")})` : fk.references.table;
  const writes = [fk.onDelete, fk.onUpdate].filter((action) => ACTIONS_THAT_WRITE.has(action));
  const large = isLarge(context.config, table);
  // A key the database itself writes through (cascade, set null/default) turns every parent delete into a scan
  // of the child; a plain key only makes the rare parent delete slow, whatever the child's size.
  const severity = writes.length > 0 && !isKnownSmall(context.config, table) ? "important" : "routine";

  const lookup = fk.columns.map((c, i) => `${quoteIdent(c)} = $${i + 1}`).join(" AND ");
  const paragraphs = fk.applicationOnly
    ? applicationOnlyParagraphs(table, fk, parent, child, lookup)
    : [
        `PostgreSQL enforces this foreign key from the referenced side: every DELETE of a row in ${parent}, and every UPDATE of its key, runs \`SELECT 1 FROM ONLY ${tableRef(table.schema, table.name)} WHERE ${lookup} FOR KEY SHARE\`. ` +
          `With no index whose leading columns are (${fkCols}), each of those checks reads all of ${child}, while the deleting transaction holds its locks.`,
      ];
  if (fk.onDelete !== "no action" && fk.onDelete !== "restrict") {
    paragraphs.push(`ON DELETE ${fk.onDelete.toUpperCase()} means each delete in ${parent} also has to find and change the referencing rows in ${child}, which without an index is a full scan per deleted row.`);
  }
  if (fk.onUpdate !== "no action" && fk.onUpdate !== "restrict") {
    paragraphs.push(`ON UPDATE ${fk.onUpdate.toUpperCase()} does the same for every key update in ${parent}.`);
  }
  if (large) paragraphs.push(`${child} is expected to hold many rows (size hint in the configuration), so each scan is expensive.`);
  paragraphs.push(`Joins from ${parent} to ${child} on this key get no index either.`);
  if (nearMisses.length > 0) paragraphs.push(`Existing indexes that do not serve the check: ${nearMisses.join(" ")}`);

  const name = recommendedIndexName(table.name, fk.columns);
  const columnList = fk.columns.map(quoteIdent).join(", ");
  let fixSql: string;
  if (table.partitionBy) {
    // CREATE INDEX CONCURRENTLY is not supported on a partitioned table.
    fixSql = `CREATE INDEX IF NOT EXISTS ${quoteIdent(name)} ON ${tableRef(table.schema, table.name)} (${columnList});`;
    paragraphs.push(
      `${child} is partitioned, and PostgreSQL cannot build an index CONCURRENTLY on a partitioned table. To avoid blocking writes while it builds, create it with ON ONLY on the parent, build the same index CONCURRENTLY on each partition, then ALTER INDEX ... ATTACH PARTITION each one.`,
    );
  } else {
    fixSql = `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(name)} ON ${tableRef(table.schema, table.name)} (${columnList});`;
  }

  return {
    rule: "fk-index",
    severity,
    table: child,
    columns: [...fk.columns],
    message: fk.applicationOnly
      ? `Relation ${table.name}(${fkCols}) → ${referenced} is enforced by the application (relationMode = "prisma", no foreign key in the database) and has no index on ${table.name}(${fkCols}), so relation reads and deletes on ${fk.references.table} scan ${table.name}.`
      : `Foreign key ${table.name}(${fkCols}) → ${referenced} has no index on ${table.name}(${fkCols}), so deletes and key updates on ${fk.references.table} scan ${table.name}.`,
    details: paragraphs.join("\n\n"),
    location: fk.location,
    key: `${parent}(${fk.references.columns.join(",")})`,
    fix: { sql: fixSql },
  };
}

// ---- Relations the application enforces (Prisma relationMode = "prisma"): no constraint, so no check by
// PostgreSQL, but Prisma Client reads the child by these columns and emulates the referential actions with
// queries of its own. Source: Prisma docs, "Relation mode" (indexes on relation scalars under relationMode = "prisma").
function applicationOnlyParagraphs(table: Table, fk: ForeignKey, parent: string, child: string, lookup: string): string[] {
  return [
    `With relationMode = "prisma" the database holds no foreign key for this relation, so PostgreSQL creates no index for it and runs no check; Prisma Client does the work with queries of its own, \`SELECT … FROM ${tableRef(table.schema, table.name)} WHERE ${lookup}\` for relation reads (include, relation filters) and for the referential actions it emulates on every delete or key update in ${parent}. ` +
      `Prisma's documentation asks for an index on the relation scalar in this mode; without one each of those queries reads all of ${child}.`,
  ];
}

export const fkIndex: Rule = {
  id: "fk-index",
  description: "Foreign keys with no index on the referencing columns that PostgreSQL's own foreign-key check can use.",
  defaultSeverity: "routine",
  check(context) {
    const findings: FindingDraft[] = [];
    for (const table of context.schema.tables) {
      for (const fk of table.foreignKeys) {
        const finding = checkForeignKey(context, context.schema, table, fk);
        if (finding) findings.push(finding);
      }
    }
    return findings;
  },
};
