// Index names the findings' fixes create, made unique per schema. PostgreSQL keeps tables, indexes,
// sequences and views in one namespace per schema (pg_class, unique on relname + relnamespace), so two
// fixes that name different indexes alike cannot both be applied: the second CREATE INDEX fails, or with
// IF NOT EXISTS is skipped in silence and its queries stay unserved. The first plain index keeps its
// name; another index is given the name with its predicate's columns appended (or a number), cut to
// PostgreSQL's 63-byte identifier limit (NAMEDATALEN - 1).
import type { Finding, Schema } from "../core/types.js";
import { parseFixTexts } from "./fix-parse.js";
import { clipBytes, MAX_IDENTIFIER_BYTES } from "../schema/naming.js";


/** Rules whose fixes create an index that no migration names yet. */
const NEW_INDEX_RULES = new Set(["fk-index", "query-index"]);

interface Created {
  finding: Finding;
  schema: string;
  name: string;
  /** The statement's text without its name: two fixes creating the same index may share a name. */
  shape: string;
  /** Columns the partial index's WHERE reads, in order. */
  predicateColumns: string[];
}

/** Column names a parse tree reads, in order of appearance. */
function columnsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) columnsIn(item, out);
    return out;
  }
  if (!node || typeof node !== "object") return out;
  const n = node as Record<string, any>;
  if (n.ColumnRef) {
    const fields = n.ColumnRef.fields ?? [];
    const last = fields[fields.length - 1]?.String?.sval;
    if (typeof last === "string" && !out.includes(last)) out.push(last);
    return out;
  }
  for (const value of Object.values(n)) columnsIn(value, out);
  return out;
}

/** The indexes a fix creates, and the names it drops first (a replacement may reuse them). */
function readFix(statements: Array<Record<string, any>> | null): { creates: Array<{ schema: string; name: string; shape: string; predicateColumns: string[] }>; drops: Set<string> } {
  const creates: Array<{ schema: string; name: string; shape: string; predicateColumns: string[] }> = [];
  const drops = new Set<string>();
  if (!statements) return { creates, drops };
  for (const ast of statements) {
    const index = ast.IndexStmt;
    if (index?.idxname && index.relation?.relname) {
      const schema = index.relation.schemaname ?? "public";
      const { idxname: _name, if_not_exists: _ine, concurrent: _c, ...rest } = index;
      creates.push({ schema, name: index.idxname, shape: JSON.stringify(rest), predicateColumns: columnsIn(index.whereClause) });
    }
    const drop = ast.DropStmt;
    if (drop?.removeType === "OBJECT_INDEX") {
      for (const object of drop.objects ?? []) {
        const parts = (object.List?.items ?? []).map((i: Record<string, any>) => i.String?.sval as string);
        const name = parts[parts.length - 1];
        if (name) drops.add(`${parts.length > 1 ? parts[0] : "public"}.${name}`);
      }
    }
  }
  return { creates, drops };
}

/**
 * The relation names of a database by schema, asked as `schema.name` text: `has(q)` is true when some schema S
 * and name N added give `${S}.${N}` === q, the same answer as a set of those texts, without writing one per
 * relation.
 */
class RelationNames {
  private readonly bySchema = new Map<string, Set<string>>();

  add(schema: string, name: string): void {
    let names = this.bySchema.get(schema);
    if (!names) this.bySchema.set(schema, (names = new Set()));
    names.add(name);
  }

  has(qualified: string): boolean {
    for (let dot = qualified.indexOf("."); dot !== -1; dot = qualified.indexOf(".", dot + 1)) {
      if (this.bySchema.get(qualified.slice(0, dot))?.has(qualified.slice(dot + 1))) return true;
    }
    return false;
  }
}

/** The name of `name` as a whole identifier in text, quoted or not. */
function nameWord(name: string): RegExp {
  return new RegExp(`(?<![A-Za-z0-9_$])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9_$])`, "g");
}

function rename(finding: Finding, from: string, to: string): void {
  const word = nameWord(from);
  const swap = (text: string) => text.replace(word, to);
  if (finding.fix) {
    finding.fix.sql = swap(finding.fix.sql);
    if (finding.fix.declared) finding.fix.declared = { ...finding.fix.declared, text: swap(finding.fix.declared.text), ...(finding.fix.declared.note ? { note: swap(finding.fix.declared.note) } : {}) };
  }
  finding.message = swap(finding.message);
  if (finding.summary) finding.summary = swap(finding.summary);
  if (finding.details) finding.details = swap(finding.details);
}

/**
 * Gives every index the findings' fixes create a name no existing relation of its schema has and no
 * other fix gives a different index. `schemaOf` returns the schema the finding's set builds. A fix that
 * drops an index first may reuse its name. Findings are changed in place.
 */
export function distinctIndexNames(findings: Finding[], schemaOf: (finding: Finding) => Schema | undefined): void {
  const taken = new Map<string, RelationNames>();
  const takenIn = (finding: Finding): RelationNames => {
    const key = finding.set ?? "";
    let names = taken.get(key);
    if (!names) {
      names = new RelationNames();
      for (const table of schemaOf(finding)?.tables ?? []) {
        names.add(table.schema, table.name);
        for (const index of table.indexes) names.add(table.schema, index.name);
        if (table.primaryKey) names.add(table.schema, table.primaryKey.name);
      }
      for (const view of schemaOf(finding)?.views ?? []) names.add(view.schema, view.name);
      taken.set(key, names);
    }
    return names;
  };
  const created: Created[] = [];
  const drops = new Map<Finding, Set<string>>();
  // Only the indexes advised anew; a rewrite of a migration's own statement keeps that statement's name.
  const advised = findings.filter((f) => f.fix && NEW_INDEX_RULES.has(f.rule) && f.fix.placement !== "replace");
  const parsed = parseFixTexts(advised.map((f) => f.fix!.sql));
  for (const finding of advised) {
    const read = readFix(parsed.get(finding.fix!.sql) ?? null);
    drops.set(finding, read.drops);
    for (const c of read.creates) created.push({ finding, ...c });
  }
  // A plain index keeps its name before a partial one, so the partial one is told apart by its predicate.
  const order = [...created].sort((a, b) => Number(a.predicateColumns.length > 0) - Number(b.predicateColumns.length > 0));
  const given = new Map<string, string>();
  for (const c of order) {
    const names = takenIn(c.finding);
    const qualified = `${c.schema}.${c.name}`;
    const sameIndex = given.get(`${c.finding.set ?? ""}|${qualified}`);
    const free = (name: string) => {
      const q = `${c.schema}.${name}`;
      return (!names.has(q) || drops.get(c.finding)!.has(q)) && !given.has(`${c.finding.set ?? ""}|${q}`);
    };
    // The same index recommended twice (same definition) keeps one name.
    if (sameIndex === c.shape || free(c.name)) {
      given.set(`${c.finding.set ?? ""}|${qualified}`, c.shape);
      continue;
    }
    const suffix = c.predicateColumns.length > 0 ? `_${c.predicateColumns.join("_")}` : "";
    const stem = clipBytes(`${c.name}${suffix}`, MAX_IDENTIFIER_BYTES);
    let candidate = stem;
    for (let n = 2; !free(candidate); n++) candidate = `${clipBytes(stem, MAX_IDENTIFIER_BYTES - String(n).length - 1)}_${n}`;
    rename(c.finding, c.name, candidate);
    given.set(`${c.finding.set ?? ""}|${c.schema}.${candidate}`, c.shape);
  }
}
