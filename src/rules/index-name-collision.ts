// Index names that differ as written but are the same after PostgreSQL truncates identifiers to
// NAMEDATALEN - 1 = 63 bytes of UTF-8 (truncate_identifier, src/backend/parser/scansup.c; the
// scanner applies it to every identifier, with only a NOTICE). The second CREATE INDEX IF NOT EXISTS
// is then skipped ("relation ... already exists, skipping"), and without IF NOT EXISTS, or for a
// constraint's index, the statement fails. Indexes share the relation namespace of their schema
// with tables, views and sequences (CREATE INDEX reference page, "name").
import type { AlterTableCmd, ColumnDef, Constraint, DropStmt, IndexElem, IndexStmt, Node, RangeVar, RenameStmt } from "@pgsql/types";
import type { FindingDraft, Statement } from "../core/types.js";
import { deparseNode, scanSql } from "../sql/parser.js";
import { alterTable, columnConstraints, node } from "./migration-scope.js";
import { isSettledMigrationFile } from "./model.js";
import { byteLength } from "../schema/naming.js";
import type { Rule } from "./rule.js";
import { clipBytes, MAX_IDENTIFIER_BYTES, nameParts, parsesCleanly, recommendedIndexName, terminate } from "./sql-text.js";

/** A relation name as it was taken: the name as written, where, and the table an index belongs to. */
interface Holder {
  written: string;
  statement: Statement;
  /** `index`, `constraint`, or `relation` for tables, views and sequences. */
  what: "index" | "constraint" | "relation";
  /** `schema.table` of an index or constraint; the relation itself otherwise. */
  table: string;
}

/**
 * The identifiers of a statement as written, longer than 63 bytes, by the name the parser made of them.
 * Unquoted identifiers fold ASCII letters to lower case (downcase_identifier), quoted ones keep their text.
 */
function longNames(statement: Statement): Map<string, string> {
  const names = new Map<string, string>();
  if (!mayHoldLongName(statement.sql)) return names;
  const scanned = scanSql(statement.sql);
  if (!scanned.ok) return names;
  for (const token of scanned.tokens) {
    if (token.name !== "IDENT") continue;
    const written = token.text.startsWith('"') ? token.text.slice(1, -1).replace(/""/g, '"') : token.text.replace(/[A-Z]/g, (c) => c.toLowerCase());
    if (byteLength(written) > MAX_IDENTIFIER_BYTES) names.set(clipBytes(written, MAX_IDENTIFIER_BYTES), written);
  }
  return names;
}

/** Identifier characters of PostgreSQL's scanner (scan.l's ident_cont): every byte of a non-ASCII character counts. */
const UNQUOTED_RUN = /[\w$\u0080-\uffff]{22,}/g;
/** A quoted identifier's text from just after its opening quote: anything but a lone `"`. */
const QUOTED_BODY = /(?:[^"]|"")*/y;

/**
 * Whether the text may hold an identifier longer than 63 bytes: a cheap test that spares scanning nearly
 * every statement. A UTF-16 unit is at most 3 bytes of UTF-8, so such a name is at least 22 units long,
 * unquoted a run of identifier characters, quoted a run that starts after some `"`. Unicode-escaped
 * names (`U&"..."`) are always scanned.
 */
function mayHoldLongName(sql: string): boolean {
  for (const run of sql.matchAll(UNQUOTED_RUN)) if (longerThanIdentifier(run[0])) return true;
  for (let quote = sql.indexOf('"'); quote >= 0; quote = sql.indexOf('"', quote + 1)) {
    QUOTED_BODY.lastIndex = quote + 1;
    const body = QUOTED_BODY.exec(sql)![0];
    if (body.length >= 22 && longerThanIdentifier(body)) return true;
  }
  return /[uU]&"/.test(sql);
}

/**
 * Whether a name the parser made may be a longer identifier cut to 63 bytes: the cut keeps at least 60 bytes
 * (it stops before a character of at most 4), and a UTF-16 unit is at most 3 bytes, so a name of fewer than
 * 20 units, or an ASCII name of fewer than 60, was written as it is.
 */
function mayBeCut(name: string): boolean {
  return name.length >= 60 || (name.length >= 20 && /[^\x00-\x7f]/.test(name));
}

/** More than 63 bytes of UTF-8; ASCII text is one byte a unit, so most need no encoding. */
function longerThanIdentifier(text: string): boolean {
  return text.length > MAX_IDENTIFIER_BYTES || (/[^\x00-\x7f]/.test(text) && byteLength(text) > MAX_IDENTIFIER_BYTES);
}

function relationKey(relation: RangeVar | undefined): { schema: string; key: string } | null {
  if (!relation?.relname) return null;
  const schema = relation.schemaname ?? "public";
  return { schema, key: `${schema}.${relation.relname}` };
}

/** Index-backed constraints: PRIMARY KEY, UNIQUE and EXCLUDE build an index named after the constraint. */
function indexConstraint(constraint: Constraint | undefined): constraint is Constraint & { conname: string } {
  if (!constraint?.conname || constraint.indexname) return false;
  return constraint.contype === "CONSTR_PRIMARY" || constraint.contype === "CONSTR_UNIQUE" || constraint.contype === "CONSTR_EXCLUSION";
}

class Namespace {
  private readonly taken = new Map<string, Holder>();
  readonly findings: FindingDraft[] = [];

  constructor(private readonly settled: (file: string) => boolean) {}

  visit(statement: Statement): void {
    let long: Map<string, string> | undefined;
    // Only a name the parser cut can have been written longer: scan the statement for the first such name it makes.
    const writtenAs = (name: string) => (mayBeCut(name) ? (long ??= longNames(statement)).get(name) ?? name : name);
    const create = node(statement, "CreateStmt");
    const table = relationKey(create?.relation);
    if (create && table) {
      if (create.if_not_exists && this.taken.has(`${table.schema}\0${create.relation!.relname}`)) return;
      this.take(table.schema, create.relation!.relname!, { written: writtenAs(create.relation!.relname!), statement, what: "relation", table: table.key });
      for (const element of create.tableElts ?? []) {
        const column = (element as { ColumnDef?: ColumnDef }).ColumnDef;
        const constraints = column ? columnConstraints(column) : [(element as { Constraint?: Constraint }).Constraint];
        for (const c of constraints) if (indexConstraint(c)) this.claim(statement, table, c.conname, writtenAs(c.conname), "constraint");
      }
      return;
    }
    // A statement holds one node: the view, table or sequence it makes, if any.
    const other = node(statement, "ViewStmt")?.view ?? node(statement, "CreateTableAsStmt")?.into?.rel ?? node(statement, "CreateSeqStmt")?.sequence;
    const made = relationKey(other);
    if (made) this.take(made.schema, other!.relname!, { written: writtenAs(other!.relname!), statement, what: "relation", table: made.key });
    const index = node(statement, "IndexStmt") as IndexStmt | undefined;
    const indexed = relationKey(index?.relation);
    if (index?.idxname && indexed) this.claim(statement, indexed, index.idxname, writtenAs(index.idxname), "index", index);
    const alter = alterTable(statement);
    if (alter) {
      const on = { schema: alter.table.schema, key: alter.table.key };
      for (const command of alter.commands as AlterTableCmd[]) {
        const constraint = (command.def as { Constraint?: Constraint } | undefined)?.Constraint;
        if (command.subtype === "AT_AddConstraint" && indexConstraint(constraint)) this.claim(statement, on, constraint.conname, writtenAs(constraint.conname), "constraint");
        if (command.subtype === "AT_DropConstraint" && command.name) this.release(on.schema, command.name, on.key);
      }
    }
    this.forget(statement);
  }

  /** DROP and RENAME free names (a dropped table takes its indexes with it) or move them. */
  private forget(statement: Statement): void {
    const drop = node(statement, "DropStmt") as DropStmt | undefined;
    if (drop && ["OBJECT_INDEX", "OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE"].includes(drop.removeType ?? "")) {
      for (const object of drop.objects ?? []) {
        const parts = nameParts(((object as { List?: { items?: Node[] } }).List?.items ?? []) as Array<Record<string, any>>);
        if (parts.length === 0) continue;
        const schema = parts.length > 1 ? parts[parts.length - 2] : "public";
        const name = parts[parts.length - 1];
        this.taken.delete(`${schema}\0${name}`);
        for (const [key, holder] of this.taken) if (holder.what !== "relation" && holder.table === `${schema}.${name}`) this.taken.delete(key);
      }
    }
    const rename = node(statement, "RenameStmt") as RenameStmt | undefined;
    const renamed = relationKey(rename?.relation);
    if (!rename?.newname || !renamed) return;
    if (rename.renameType === "OBJECT_TABCONSTRAINT" && rename.subname) {
      const holder = this.taken.get(`${renamed.schema}\0${rename.subname}`);
      if (holder?.table === renamed.key) this.move(renamed.schema, rename.subname, rename.newname);
    } else if (["OBJECT_INDEX", "OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE"].includes(rename.renameType ?? "")) {
      const holder = this.taken.get(`${renamed.schema}\0${rename.relation!.relname}`);
      this.move(renamed.schema, rename.relation!.relname!, rename.newname);
      if (holder?.what === "relation") {
        const to = `${renamed.schema}.${rename.newname}`;
        for (const h of this.taken.values()) if (h.table === renamed.key) h.table = to;
      }
    }
  }

  private move(schema: string, from: string, to: string): void {
    const holder = this.taken.get(`${schema}\0${from}`);
    if (!holder) return;
    this.taken.delete(`${schema}\0${from}`);
    this.taken.set(`${schema}\0${to}`, { ...holder, written: to });
  }

  private take(schema: string, name: string, holder: Holder): void {
    this.taken.set(`${schema}\0${name}`, holder);
  }

  private release(schema: string, name: string, table: string): void {
    if (this.taken.get(`${schema}\0${name}`)?.table === table) this.taken.delete(`${schema}\0${name}`);
  }

  /** An index's or constraint's name: reported when truncation makes it the name of a relation already there. */
  private claim(statement: Statement, table: { schema: string; key: string }, name: string, written: string, what: "index" | "constraint", index?: IndexStmt): void {
    const holder = this.taken.get(`${table.schema}\0${name}`);
    if (!holder) {
      this.take(table.schema, name, { written, statement, what, table: table.key });
      return;
    }
    if (holder.written === written || (byteLength(holder.written) <= MAX_IDENTIFIER_BYTES && byteLength(written) <= MAX_IDENTIFIER_BYTES)) return;
    this.report(statement, table, name, written, holder, what, index);
  }

  private report(statement: Statement, table: { schema: string; key: string }, name: string, written: string, holder: Holder, what: "index" | "constraint", index?: IndexStmt): void {
    const skipped = what === "index" && index?.if_not_exists === true;
    const label = what === "index" ? `CREATE INDEX${skipped ? " IF NOT EXISTS" : ""} ${written}` : `constraint ${written}`;
    const earlier = `${holder.what === "relation" ? "the relation" : holder.what === "index" ? "the index" : "the index of constraint"} ${holder.written} (${holder.statement.location.file}:${holder.statement.location.line})`;
    const outcome = skipped
      ? `PostgreSQL skips the statement with only a NOTICE ("relation ... already exists, skipping"), so this index is never built.`
      : `the statement fails with "relation "${name}" already exists".`;
    const tableName = table.key.slice(table.schema.length + 1);
    const fresh = index ? this.freeName(table.schema, tableName, written, index) : null;
    let fix: FindingDraft["fix"];
    if (index && fresh) {
      try {
        const sql = terminate(deparseNode({ IndexStmt: { ...index, idxname: fresh } }));
        if (parsesCleanly(sql)) fix = { sql, placement: this.settled(statement.location.file) ? "separate" : "replace" };
      } catch {
        fix = undefined;
      }
    }
    const settled = this.settled(statement.location.file);
    // A failure in a migration that evidently ran means something this replay does not see: listed only.
    const severity = settled && !skipped ? "noted" : "important";
    this.findings.push({
      rule: "index-name-collision",
      severity,
      table: table.key,
      columns: [],
      location: statement.location,
      key: `${name}:${statement.location.file}:${statement.location.line}`,
      message: `${label} on ${tableName}: PostgreSQL truncates identifiers to ${MAX_IDENTIFIER_BYTES} bytes, which makes it "${name}", the name ${earlier} already has; ${outcome}`,
      summary: `${label} is truncated to the name of ${earlier}: ${skipped ? "it is silently skipped" : "it fails"}. Give it a name of at most ${MAX_IDENTIFIER_BYTES} bytes${fresh ? ` such as ${fresh}` : ""}.`,
      details: [
        `Names longer than ${MAX_IDENTIFIER_BYTES} bytes (NAMEDATALEN - 1, counted in UTF-8) are cut by PostgreSQL's scanner with only a NOTICE, so two names that differ after byte ${MAX_IDENTIFIER_BYTES} are the same name. Indexes share one namespace per schema with tables, views and sequences.`,
        settled && skipped
          ? `This migration has already run, so ${tableName} has no such index now: build it in a new migration under a name of its own${fix ? `:\n\n${fix.sql}` : "."}`
          : `Give the ${what === "index" ? "index" : "constraint"} a name of at most ${MAX_IDENTIFIER_BYTES} bytes that is free in schema ${table.schema}.`,
      ].join("\n\n"),
      ...(fix ? { fix } : {}),
    });
  }

  /** A free name for the index: the usual `idx_<table>_<columns>`, else the written name cut short with a number. */
  private freeName(schema: string, table: string, written: string, index: IndexStmt): string | null {
    const columns = (index.indexParams ?? []).map((p) => (p as { IndexElem?: IndexElem }).IndexElem?.name).filter((c): c is string => c !== undefined);
    const candidates = [...(columns.length > 0 ? [recommendedIndexName(table, columns)] : []), ...[2, 3, 4, 5, 6, 7, 8, 9].map((n) => `${clipBytes(written, MAX_IDENTIFIER_BYTES - 2)}_${n}`)];
    return candidates.find((c) => !this.taken.has(`${schema}\0${c}`)) ?? null;
  }
}

export const indexNameCollision: Rule = {
  id: "index-name-collision",
  description: "Two index or constraint names that PostgreSQL's 63-byte identifier limit makes the same: the second CREATE INDEX IF NOT EXISTS is silently skipped, or the statement fails.",
  defaultSeverity: "important",
  check(context) {
    const namespace = new Namespace((file) => isSettledMigrationFile(context.set, file));
    for (const statement of context.statements) namespace.visit(statement);
    return namespace.findings;
  },
};
