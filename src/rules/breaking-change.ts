// Schema changes that break the application while it runs: DROP COLUMN, RENAME COLUMN, ALTER TABLE ...
// RENAME TO and DROP TABLE on a table (or column) that the queries read from code name. During a deploy
// the code that was running before keeps running next to the migrated schema, so the order of the two
// decides whether queries fail: a drop goes after the code that stops reading it, a rename goes through
// expand and contract (ALTER TABLE reference page; CREATE VIEW, "Updatable Views").
import type { AlterTableCmd, DropStmt, Node, RenameStmt } from "@pgsql/types";
import type { AccessPattern, Statement } from "../core/types.js";
import { findTableExact, patternRelation } from "../schema/lookup.js";
import { alterTable, finishDrafts, node, TableHistory, tableName, type SafetyDraft, type TableName } from "./migration-scope.js";
import { isSettledMigrationFile } from "./model.js";
import type { Rule, RuleContext } from "./rule.js";
import { nameParts, quoteIdent, tableRef } from "./sql-text.js";

type ChangeKind = "drop-column" | "rename-column" | "rename-table" | "drop-table";

interface Change {
  statement: Statement;
  kind: ChangeKind;
  table: TableName;
  /** The dropped or renamed column (column changes only). */
  column?: string;
  /** The new name of the column or table (renames only). */
  newName?: string;
}

/** A query that names the changed table or column, and which name it uses. */
interface Site {
  pattern: AccessPattern;
  /** It uses the name the migration removes (`old`) or the one it introduces (`new`). */
  uses: "old" | "new";
}

/** Views are read by other queries: a view on the column makes PostgreSQL refuse the drop instead. */
const IGNORED_SOURCES = new Set<AccessPattern["source"]>(["view"]);

function sameTable(relation: { schema?: string; name: string }, table: { schema: string; name: string }): boolean {
  return (relation.schema ?? "public") === table.schema && relation.name === table.name;
}

/** The columns of `table` a pattern names: its filters and sort when the pattern is on the table, the join columns when it joins it. */
function columnsOf(pattern: AccessPattern, table: { schema: string; name: string }): Set<string> | null {
  const columns = new Set<string>();
  let touches = false;
  if (sameTable(patternRelation(pattern), table)) {
    touches = true;
    for (const p of pattern.predicates) if (p.column) columns.add(p.column);
    for (const o of pattern.orderBy) if (o.column) columns.add(o.column);
  }
  for (const join of pattern.joins) {
    if (!sameTable(patternRelation({ table: join.table }), table)) continue;
    touches = true;
    for (const c of join.columns) columns.add(c);
  }
  return touches ? columns : null;
}

/** The changes a statement makes, on tables that existed before its file ran. */
function changesOf(statement: Statement, history: TableHistory): Change[] {
  const existing = (table: TableName) => history.existedBefore(table.key, statement);
  const alter = alterTable(statement);
  if (alter) {
    if (!existing(alter.table)) return [];
    return alter.commands
      .filter((c: AlterTableCmd) => c.subtype === "AT_DropColumn" && c.name)
      .map((c) => ({ statement, kind: "drop-column" as const, table: alter.table, column: c.name! }));
  }
  const rename = node(statement, "RenameStmt") as RenameStmt | undefined;
  if (rename?.newname) {
    const table = tableName(rename.relation);
    if (!table || !existing(table)) return [];
    if (rename.renameType === "OBJECT_TABLE") return [{ statement, kind: "rename-table", table, newName: rename.newname }];
    if (rename.renameType === "OBJECT_COLUMN" && rename.relationType === "OBJECT_TABLE" && rename.subname) {
      return [{ statement, kind: "rename-column", table, column: rename.subname, newName: rename.newname }];
    }
    return [];
  }
  const drop = node(statement, "DropStmt") as DropStmt | undefined;
  if (drop?.removeType === "OBJECT_TABLE") {
    const changes: Change[] = [];
    for (const object of drop.objects ?? []) {
      const parts = nameParts(((object as { List?: { items?: Node[] } }).List?.items ?? []) as Array<Record<string, any>>);
      if (parts.length === 0) continue;
      const schema = parts.length > 1 ? parts[parts.length - 2] : "public";
      const table = { schema, name: parts[parts.length - 1], key: `${schema}.${parts[parts.length - 1]}` };
      if (existing(table)) changes.push({ statement, kind: "drop-table", table });
    }
    return changes;
  }
  return [];
}

/**
 * The name the code knows the changed table by after every migration: later ALTER TABLE ... RENAME TO
 * statements followed. For a rename, the name after this statement is the starting point.
 * `renames` holds the indexes in `statements` of the table renames, ascending (see tableRenames).
 */
function laterName(statements: Statement[], renames: number[], from: number, table: TableName): TableName {
  let current = table;
  for (const i of renames) {
    if (i <= from) continue;
    const rename = node(statements[i], "RenameStmt") as RenameStmt;
    const renamed = tableName(rename.relation);
    if (renamed?.key === current.key) current = { schema: current.schema, name: rename.newname!, key: `${current.schema}.${rename.newname}` };
  }
  return current;
}

/** The indexes of the ALTER TABLE ... RENAME TO statements, ascending: laterName follows these only, not every statement per change. */
function tableRenames(statements: Statement[]): number[] {
  const out: number[] = [];
  statements.forEach((statement, i) => {
    const rename = node(statement, "RenameStmt") as RenameStmt | undefined;
    if (rename?.renameType === "OBJECT_TABLE" && rename.newname) out.push(i);
  });
  return out;
}

/** The queries a change is checked against: the patterns that name each table (`schema\0table`), as indexes into `patterns`, ascending. */
interface PatternIndex {
  patterns: AccessPattern[];
  byTable: Map<string, number[]>;
  /** ALTER TABLE ... RENAME TO statements (tableRenames), found when a change first follows its table: a DROP TABLE does not. */
  renames?: number[];
}

function indexPatterns(context: RuleContext): PatternIndex {
  const patterns = context.patterns.filter((p) => !IGNORED_SOURCES.has(p.source));
  const byTable = new Map<string, number[]>();
  const note = (relation: { schema?: string; name: string }, i: number) => {
    const key = `${relation.schema ?? "public"}\0${relation.name}`;
    const list = byTable.get(key);
    if (!list) byTable.set(key, [i]);
    else if (list[list.length - 1] !== i) list.push(i);
  };
  patterns.forEach((p, i) => {
    note(patternRelation(p), i);
    for (const join of p.joins) note(patternRelation({ table: join.table }), i);
  });
  return { patterns, byTable };
}

/** The patterns that name `table` (or any of `tables`), in their original order. */
function patternsNaming(index: PatternIndex, ...tables: Array<{ schema: string; name: string }>): AccessPattern[] {
  const positions = new Set<number>();
  for (const t of tables) for (const i of index.byTable.get(`${t.schema}\0${t.name}`) ?? []) positions.add(i);
  return [...positions].sort((a, b) => a - b).map((i) => index.patterns[i]);
}

/**
 * A swap: an earlier statement of the same file dropped what the rename now brings back under the same
 * name (`DROP COLUMN role` then `RENAME COLUMN role_temp TO role`). Code that names it works before and after.
 */
function isSwap(statements: Statement[], index: number, change: Change, history: (s: Statement) => Change[]): boolean {
  const file = change.statement.location.file;
  for (let i = index - 1; i >= 0 && statements[i].location.file === file; i--) {
    for (const earlier of history(statements[i])) {
      if (change.kind === "rename-table" && earlier.kind === "drop-table" && earlier.table.schema === change.table.schema && earlier.table.name === change.newName) return true;
      if (change.kind === "rename-column" && earlier.kind === "drop-column" && earlier.table.key === change.table.key && earlier.column === change.newName) return true;
    }
  }
  return false;
}

function sitesFor(context: RuleContext, found: PatternIndex, index: number, change: Change, swap: boolean): Site[] {
  const { schema } = context;
  const sites: Site[] = [];
  const seen = new Set<string>();
  const add = (pattern: AccessPattern, uses: Site["uses"]) => {
    const at = `${pattern.location.file}\0${pattern.location.line}`;
    if (!seen.has(at)) {
      seen.add(at);
      sites.push({ pattern, uses });
    }
  };
  switch (change.kind) {
    case "drop-table": {
      // A table of that name made again later is the one the code reads now.
      if (findTableExact(schema, change.table.schema, change.table.name)) return [];
      for (const p of patternsNaming(found, change.table)) if (columnsOf(p, change.table)) add(p, "old");
      return sites;
    }
    case "rename-table": {
      const renamed = laterName(context.statements, (found.renames ??= tableRenames(context.statements)), index, { schema: change.table.schema, name: change.newName!, key: `${change.table.schema}.${change.newName}` });
      const oldGone = !findTableExact(schema, change.table.schema, change.table.name);
      for (const p of patternsNaming(found, change.table, renamed)) {
        if (oldGone && columnsOf(p, change.table)) add(p, "old");
        else if (!swap && columnsOf(p, renamed)) add(p, "new");
      }
      return sites;
    }
    case "drop-column":
    case "rename-column": {
      const current = laterName(context.statements, (found.renames ??= tableRenames(context.statements)), index, change.table);
      const table = findTableExact(schema, current.schema, current.name);
      // A column of that name added again later is the one the code reads now.
      const oldGone = !table?.columns.some((c) => c.name === change.column);
      for (const p of patternsNaming(found, current)) {
        const columns = columnsOf(p, current);
        if (!columns) continue;
        if (oldGone && columns.has(change.column!)) add(p, "old");
        else if (!swap && change.newName && columns.has(change.newName)) add(p, "new");
      }
      return sites;
    }
  }
}

function siteLabel(site: Site): string {
  const { location, functionName } = site.pattern;
  return `${location.file}:${location.line}${functionName ? ` (\`${functionName}()\`)` : ""}`;
}

const SHOWN_SITES = 5;

function siteList(sites: Site[]): string {
  const shown = sites.slice(0, SHOWN_SITES).map(siteLabel).join(", ");
  return sites.length > SHOWN_SITES ? `${shown} and ${sites.length - SHOWN_SITES} more` : shown;
}

function draftFor(change: Change, sites: Site[]): SafetyDraft {
  const { table } = change;
  const target = tableRef(table.schema, table.name);
  const base = { statement: change.statement, table, columns: change.column ? [change.column] : [], name: change.column ?? table.name };
  const oldSites = sites.filter((s) => s.uses === "old");
  const newSites = sites.filter((s) => s.uses === "new");
  const reads = [
    oldSites.length > 0 ? `${oldSites.length === 1 ? "a query" : `${oldSites.length} queries`} still naming ${change.column ? `${table.name}.${change.column}` : table.name}: ${siteList(oldSites)}` : "",
    newSites.length > 0 ? `${newSites.length === 1 ? "a query" : `${newSites.length} queries`} already naming ${change.column ? `${table.name}.${change.newName}` : change.newName}: ${siteList(newSites)}` : "",
  ].filter(Boolean);
  const sitesText = reads.join("; and ");
  switch (change.kind) {
    case "drop-column":
      return {
        ...base,
        kind: "drop-column",
        message: `DROP COLUMN ${change.column} removes a column of ${table.name} that the code reads, from ${sitesText}. Those queries fail ("column does not exist") from the moment the migration commits.`,
        summary: `DROP COLUMN ${table.name}.${change.column} breaks ${oldSites.length === 1 ? "a query" : `${oldSites.length} queries`} that still name it: deploy code that stops reading it first.`,
        details: [
          `Deploy order: first ship the code that no longer reads or writes ${change.column} (with an ORM, remove the field from the model; Prisma and Drizzle select every field of the model unless told otherwise), wait until no instance of the old code runs, then run this migration in a later deploy.`,
        ],
      };
    case "drop-table":
      return {
        ...base,
        kind: "drop-table",
        message: `DROP TABLE ${table.name} removes a table that the code reads, from ${sitesText}. Those queries fail ("relation does not exist") from the moment the migration commits.`,
        summary: `DROP TABLE ${table.name} breaks ${oldSites.length === 1 ? "a query" : `${oldSites.length} queries`} that still read it: deploy code that stops reading it first.`,
        details: [`Deploy order: first ship the code that no longer reads or writes ${table.name}, wait until no instance of the old code runs, then drop the table in a later deploy.`],
      };
    case "rename-column": {
      const from = quoteIdent(change.column!);
      const to = quoteIdent(change.newName!);
      return {
        ...base,
        kind: "rename-column",
        message: `RENAME COLUMN ${change.column} TO ${change.newName} on ${table.name}, which the code reads in ${sitesText}. Code that names ${change.column} fails once the migration commits, and code that names ${change.newName} fails before it: no deploy order keeps both working.`,
        summary: `RENAME COLUMN ${table.name}.${change.column} breaks the code running during the deploy: add ${change.newName}, keep both in sync, then drop ${change.column}.`,
        details: [
          `Expand and contract instead of renaming in place: (1) add the new column and keep it in sync with the old one (write both from the code, or a trigger), then copy the existing values in batches; (2) deploy code that reads and writes ${change.newName} only; (3) in a later migration, drop ${change.column}. For example:\n\nALTER TABLE ${target} ADD COLUMN ${to} <type of ${from}>;\n-- keep ${to} in sync with ${from} (trigger or both writes), then copy the old rows in batches:\nUPDATE ${target} SET ${to} = ${from} WHERE ${to} IS NULL AND <a batch of keys>;\n-- after the code reads only ${to}, a later migration:\nALTER TABLE ${target} DROP COLUMN ${from};`,
        ],
      };
    }
    case "rename-table": {
      const to = tableRef(table.schema, change.newName!);
      return {
        ...base,
        kind: "rename-table",
        message: `ALTER TABLE ${table.name} RENAME TO ${change.newName} renames a table the code reads, in ${sitesText}. Code that names ${table.name} fails once the migration commits, and code that names ${change.newName} fails before it: no deploy order keeps both working.`,
        summary: `RENAME TABLE ${table.name} breaks the code running during the deploy: keep the old name as a view until the code uses ${change.newName}.`,
        details: [
          `Expand and contract: rename the table and keep the old name as a view over it in the same migration (a view on one table without joins or aggregates is updatable, so the old code can keep reading and writing through it); deploy code that uses ${change.newName}; then drop the view in a later migration:\n\nALTER TABLE ${target} RENAME TO ${quoteIdent(change.newName!)};\nCREATE VIEW ${target} AS SELECT * FROM ${to};\n-- after the code uses ${change.newName} only, a later migration:\nDROP VIEW ${target};`,
        ],
      };
    }
  }
}

export const breakingChange: Rule = {
  id: "breaking-change",
  description: "DROP COLUMN, RENAME COLUMN, RENAME TABLE and DROP TABLE on a table or column the code's queries name: the call sites, and the deploy order that keeps them working.",
  defaultSeverity: "routine",
  check(context) {
    const history = new TableHistory(context.statements);
    const drafts: SafetyDraft[] = [];
    // The changes each statement made, as seen when it was visited (for swaps within a file).
    const made = new Map<Statement, Change[]>();
    // Built on the first change: most statements change nothing a query names.
    let found: PatternIndex | undefined;
    context.statements.forEach((statement, index) => {
      const changes = changesOf(statement, history);
      made.set(statement, changes);
      for (const change of changes) {
        const swap = isSwap(context.statements, index, change, (s) => made.get(s) ?? []);
        let sites = sitesFor(context, (found ??= indexPatterns(context)), index, change, swap);
        // Long applied: the code that ran then is gone; only code that still names the old name matters.
        if (isSettledMigrationFile(context.set, statement.location.file)) sites = sites.filter((s) => s.uses === "old");
        if (sites.length > 0) drafts.push({ ...draftFor(change, sites), severity: "routine" });
      }
      history.observe(statement);
    });
    // A table the migration proves empty still breaks the code that names it: no empty-table proof here.
    return finishDrafts("breaking-change", { ...context, statements: [] }, drafts);
  },
};
