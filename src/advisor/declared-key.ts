// A missing primary key, given in the form of the schema an ORM declares. A key added only in SQL is drift:
// the next `prisma migrate dev` sees a primary key schema.prisma does not declare and writes a migration that
// removes it, and drizzle-kit's next generate does the same from its snapshot. So the fix is the declaration
// (`@@id([...])` in the model, `primaryKey({ columns: [...] })` in the Drizzle table's extra config), with the
// SQL kept beside it: the tool would write the change as DROP INDEX / DROP CONSTRAINT and ADD PRIMARY KEY,
// which builds a new index, while the SQL takes an existing unique index over where it can.
// Sources: Prisma docs "Models" (@id, @@id, map) and "Customizing migrations" (--create-only); drizzle-orm
// pg-core primaryKey() (default name `{table}_{columns}_pk`, PrimaryKey.getName).
import type { DeclaredFix, DeclaredIndex, DeclaredModel, FindingDraft, Schema } from "../core/types.js";
import { prismaPrimaryKeyName } from "../schema/declared/prisma.js";
import { parseSql } from "../sql/parser.js";
import { byteLength, MAX_IDENTIFIER_BYTES } from "../schema/naming.js";
import { camel, drizzleEntryPlacement, drizzleTableParam, fieldOf, findModel, insertionLine } from "./declared-model.js";

interface KeyPlan {
  schema: string;
  table: string;
  /** The constraint name the SQL gives the key. */
  constraint: string;
  /** The key's columns, in key order. */
  columns: string[];
  /** The unique index or constraint the key takes the place of (taken over with USING INDEX, or dropped). */
  replaces: string | null;
}

/** The primary key a missing-primary-key fix adds, read with PostgreSQL's parser; null for anything else. */
function readKeyFix(sql: string, schema: Schema): KeyPlan | null {
  const parsed = parseSql(sql);
  if (!parsed.ok || parsed.statements.length !== 1) return null;
  const stmt = parsed.statements[0].ast.AlterTableStmt;
  if (!stmt?.relation?.relname) return null;
  const tableSchema: string = stmt.relation.schemaname ?? "public";
  const table: string = stmt.relation.relname;
  let dropped: string | null = null;
  let key: any;
  for (const item of stmt.cmds ?? []) {
    const cmd = item.AlterTableCmd;
    if (cmd?.subtype === "AT_DropConstraint") dropped = cmd.name ?? null;
    else if (cmd?.subtype === "AT_AddConstraint" && cmd.def?.Constraint?.contype === "CONSTR_PRIMARY") key = cmd.def.Constraint;
    else return null;
  }
  if (!key?.conname) return null;
  if (key.indexname) {
    const index = schema.tables.find((t) => t.schema === tableSchema && t.name === table)?.indexes.find((i) => i.name === key.indexname);
    if (!index || index.keys.some((k) => !k.column)) return null;
    return { schema: tableSchema, table, constraint: key.conname, columns: index.keys.map((k) => k.column!), replaces: key.indexname };
  }
  const columns: string[] = (key.keys ?? []).map((k: any) => k.String?.sval).filter(Boolean);
  if (columns.length === 0) return null;
  return { schema: tableSchema, table, constraint: key.conname, columns, replaces: dropped };
}

/** The SQL with every mention of one identifier, quoted or bare, replaced by another (always quoted). */
function renameIdentifier(sql: string, from: string, to: string): string {
  if (from === to) return sql;
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const quoted = `"${to.replace(/"/g, '""')}"`;
  return sql.replace(new RegExp(`"${escaped}"|(?<![\\w$"])${escaped}(?![\\w$"])`, "g"), quoted);
}

/** The declared unique the key replaces, when the declaration holds it. */
function replacedDeclaration(model: DeclaredModel, plan: KeyPlan): DeclaredIndex | undefined {
  return plan.replaces === null ? undefined : model.indexes.find((i) => i.name === plan.replaces && i.kind === "unique");
}

function prismaKey(plan: KeyPlan, model: DeclaredModel, pushed: boolean): { declared: DeclaredFix; constraint: string } | null {
  const fields = plan.columns.map((c) => fieldOf(model, c));
  if (fields.some((f) => f === undefined)) return null;
  const defaultName = prismaPrimaryKeyName(model.table);
  const text = `@@id([${fields.join(", ")}]${plan.constraint !== defaultName ? `, map: "${plan.constraint}"` : ""})`;
  const replaced = replacedDeclaration(model, plan);
  const notes: string[] = [];
  let line = insertionLine(model);
  let action: DeclaredFix["action"] = "add";
  if (replaced && !replaced.onField) {
    line = replaced.location.line;
    action = "replace";
  } else if (replaced) {
    notes.push(`Remove \`@unique\` from the \`${fieldOf(model, replaced.columns[0]) ?? replaced.columns[0]}\` field (line ${replaced.location.line}): the key's index takes its place.`);
  }
  notes.push(
    pushed
      ? "Run the SQL below first: `prisma db push` would drop and rebuild the index under an ACCESS EXCLUSIVE lock, and then finds the key in place."
      : "A key added only in SQL is drift: the next `prisma migrate dev` writes a migration that removes it. Change the schema, create the migration with `prisma migrate dev --create-only`, and put the SQL below in its migration.sql in place of what Prisma wrote (a new index built under an ACCESS EXCLUSIVE lock).",
  );
  return { declared: { file: model.location.file, line, action, text, language: "prisma", note: notes.join(" ") }, constraint: plan.constraint };
}

function drizzleKey(plan: KeyPlan, model: DeclaredModel, pushed: boolean): { declared: DeclaredFix; constraint: string } | null {
  const keys = plan.columns.map((c) => fieldOf(model, c));
  if (keys.some((k) => k === undefined)) return null;
  // drizzle-kit names a table-level key `{table}_{columns}_pk`; PostgreSQL would cut a longer one, so name it.
  const defaultName = `${model.table}_${plan.columns.join("_")}_pk`;
  const named = byteLength(defaultName) > MAX_IDENTIFIER_BYTES;
  const constraint = named ? plan.constraint : defaultName;
  const entry = `primaryKey({ ${named ? `name: "${constraint}", ` : ""}columns: [${keys.map((k) => `${drizzleTableParam(model)}.${k}`).join(", ")}] })`;
  const item = model.extraConfig === "object" ? `${camel(`${model.table}_pk`)}: ${entry},` : `${entry},`;
  const placed = drizzleEntryPlacement(model, item, entry, ["primaryKey"]);
  const notes = [...placed.notes];
  const replaced = replacedDeclaration(model, plan);
  if (replaced) {
    const what = replaced.onField ? `\`.unique()\` from the \`${fieldOf(model, replaced.columns[0]) ?? replaced.columns[0]}\` column` : `the ${replaced.name} entry`;
    notes.push(`Remove ${what} (line ${replaced.location.line}): the key takes its place.`);
  }
  notes.push(
    pushed
      ? "Run the SQL below first: `drizzle-kit push` would build a new index under an ACCESS EXCLUSIVE lock, and then finds the key in place."
      : "A key added only in SQL is drift: drizzle-kit's next generate does not know it. Change the schema, run `drizzle-kit generate`, and put the SQL below in the migration it writes in place of its statements.",
  );
  return { declared: { file: model.location.file, line: placed.line ?? insertionLine(model), action: placed.action, text: placed.text, ...(placed.inserted ? { inserted: placed.inserted } : {}), language: "typescript", note: notes.join(" ") }, constraint };
}

/**
 * A missing-primary-key finding with its fix in the declared schema's form: `fix.declared` holds `@@id` /
 * `primaryKey()` (replacing the `@@unique` line it takes the place of, or saying which unique to remove), and
 * `fix.sql` keeps the SQL, with the constraint under the name the ORM's tool gives it. Comes back unchanged
 * when no ORM declares the table or the fix is not a primary key on plain columns.
 */
export function primaryKeyInDeclaredForm(finding: FindingDraft, schema: Schema, pushed: boolean): FindingDraft {
  if (!finding.fix) return finding;
  const plan = readKeyFix(finding.fix.sql, schema);
  if (!plan) return finding;
  const found = findModel(schema, plan.schema, plan.table);
  if (!found) return finding;
  const form = found.declared.orm === "prisma" ? prismaKey(plan, found.model, pushed) : drizzleKey(plan, found.model, pushed);
  if (!form) return finding;
  return { ...finding, fix: { ...finding.fix, sql: renameIdentifier(finding.fix.sql, plan.constraint, form.constraint), declared: form.declared } };
}
