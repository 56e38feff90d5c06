// Index fixes in the form the project maintains. Where an ORM declares the schema, an index created only by a
// hand-written SQL migration is drift: `prisma migrate dev` writes a migration that drops it again, and
// drizzle-kit's next generate does not know it. So the fix is the declaration (`@@index([...])` in
// schema.prisma, `index("...").on(...)` in the Drizzle table), and `fix.sql` is what the ORM's tool generates
// from it. A redundant index is removed from the declaration, not dropped by hand.
// Sources: Prisma docs "Indexes" (@@index fields, sort, type, ops) and "Customizing migrations" (SQL Prisma cannot
// express goes in a migration created with --create-only); drizzle-orm pg-core index builders.
import type { DeclaredFix, DeclaredModel, FindingDraft, Framework, Schema } from "../core/types.js";
import { primaryKeyInDeclaredForm } from "./declared-key.js";
import { camel, drizzleEntryPlacement, drizzleTableParam, fieldOf, findModel, insertionLine, quote, tableSql } from "./declared-model.js";
import { deparseNode, parseSql } from "../sql/parser.js";
import { parseFixTexts } from "./fix-parse.js";
import { prismaIndexName } from "../schema/declared/prisma.js";

const PRISMA_METHODS: Record<string, string> = { hash: "Hash", gin: "Gin", gist: "Gist", brin: "Brin", spgist: "SpGist" };

interface IndexKeyPlan {
  column?: string;
  expression?: string;
  descending: boolean;
  nulls?: "first" | "last";
  opclass?: string;
}

interface IndexPlan {
  name: string;
  schema: string;
  table: string;
  unique: boolean;
  method: string;
  keys: IndexKeyPlan[];
  include: string[];
  where: string | null;
  /** The recommender wrote CONCURRENTLY: the table exists already, so a plain build blocks its writes. */
  concurrent: boolean;
}


/** The CREATE INDEX of a fix, from its statement's parse tree; null for anything else. */
function readCreateIndex(ast: any): IndexPlan | null {
  const stmt = ast.IndexStmt;
  if (!stmt?.relation?.relname) return null;
  const keys: IndexKeyPlan[] = (stmt.indexParams ?? []).map((p: any) => {
    const elem = p.IndexElem ?? {};
    const key: IndexKeyPlan = { descending: elem.ordering === "SORTBY_DESC" };
    if (elem.name) key.column = elem.name;
    else if (elem.expr) key.expression = deparseNode(elem.expr);
    if (elem.nulls_ordering === "SORTBY_NULLS_FIRST") key.nulls = "first";
    if (elem.nulls_ordering === "SORTBY_NULLS_LAST") key.nulls = "last";
    const opclass = (elem.opclass ?? []).map((o: any) => o.String?.sval).filter(Boolean);
    if (opclass.length) key.opclass = opclass.join(".");
    return key;
  });
  return {
    name: stmt.idxname ?? "",
    schema: stmt.relation.schemaname ?? "public",
    table: stmt.relation.relname,
    unique: Boolean(stmt.unique),
    method: (stmt.accessMethod ?? "btree").toLowerCase(),
    keys,
    include: (stmt.indexIncludingParams ?? []).map((p: any) => p.IndexElem?.name).filter(Boolean),
    where: stmt.whereClause ? deparseNode(stmt.whereClause) : null,
    concurrent: Boolean(stmt.concurrent),
  };
}

/** The DROP INDEX of a fix, from its statement's parse tree: the index's schema and name. */
function readDropIndex(ast: any): { schema: string | null; name: string } | null {
  const stmt = ast.DropStmt;
  if (stmt?.removeType !== "OBJECT_INDEX" || stmt.objects?.length !== 1) return null;
  const parts: string[] = (stmt.objects[0].List?.items ?? []).map((i: any) => i.String?.sval);
  if (parts.length === 0 || parts.some((p) => !p)) return null;
  return parts.length === 1 ? { schema: null, name: parts[0] } : { schema: parts[parts.length - 2], name: parts[parts.length - 1] };
}


/** What Prisma's schema cannot say about this index, or null when @@index / @@unique can. */
function prismaCannot(plan: IndexPlan, model: DeclaredModel): string | null {
  if (plan.where) return "a partial index (WHERE)";
  if (plan.include.length) return "INCLUDE columns";
  if (plan.keys.some((k) => k.expression)) return "an expression key";
  if (plan.keys.some((k) => k.nulls && k.nulls !== (k.descending ? "first" : "last"))) return "NULLS FIRST/LAST ordering";
  if (plan.keys.some((k) => k.column && !fieldOf(model, k.column))) return "a column no field of the model maps to";
  return null;
}

/**
 * The finding with every mention of the recommender's index name replaced by the name the ORM's tool gives the
 * index, so that the message, the short line and the details name what `fix.sql` creates.
 */
function renamed(finding: FindingDraft, from: string, to: string): FindingDraft {
  const swap = (text: string) => replaceIdentifier(text, from, to);
  return {
    ...finding,
    message: swap(finding.message),
    ...(finding.summary ? { summary: swap(finding.summary) } : {}),
    ...(finding.details ? { details: swap(finding.details) } : {}),
  };
}

const WORD_CHAR = /[\w$]/;

/**
 * `text` with each whole identifier `from`, quoted (`"from"`, quotes included) or bare, replaced by `to`:
 * `idx_a` does not match inside `idx_a_b`. The same matches, left to right, as the global regular expression
 * `"from"|(?<![\w$])from(?![\w$])`, found with indexOf because that expression, built per finding, cost more
 * than the rest of the declared form on long details.
 */
function replaceIdentifier(text: string, from: string, to: string): string {
  if (!from || from.includes('"') || to.includes("$")) {
    const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return text.replace(new RegExp(`"${escaped}"|(?<![\\w$])${escaped}(?![\\w$])`, "g"), to);
  }
  let out = "";
  let copied = 0; // text before this is in `out`
  let at = text.indexOf(from);
  while (at !== -1) {
    const end = at + from.length;
    if (at - 1 >= copied && text[at - 1] === '"' && text[end] === '"') {
      out += text.slice(copied, at - 1) + to;
      copied = end + 1;
    } else if ((at === 0 || !WORD_CHAR.test(text[at - 1])) && (end === text.length || !WORD_CHAR.test(text[end]))) {
      out += text.slice(copied, at) + to;
      copied = end;
    }
    at = text.indexOf(from, copied > at ? copied : at + 1);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function prismaForm(plan: IndexPlan, model: DeclaredModel, schema: Schema, file: string, pushed: boolean): { declared: DeclaredFix; sql?: string; name?: string } {
  const line = insertionLine(model);
  const cannot = prismaCannot(plan, model);
  if (cannot) {
    return {
      declared: {
        file,
        line,
        action: "add",
        text: "",
        language: "prisma",
        note: `Prisma's schema cannot express ${cannot}. Create an empty migration with \`prisma migrate dev --create-only\`, put this SQL in its migration.sql, and keep it there: Prisma then treats the index as part of the migration history rather than drift.`,
      },
    };
  }
  const columns = plan.keys.map((k) => k.column!);
  const defaultName = prismaIndexName(model.table, columns, plan.unique);
  const taken = schema.tables.find((t) => t.schema === model.schema && t.name === model.table)?.indexes.some((i) => i.name === defaultName) ?? false;
  const name = taken ? plan.name || defaultName : defaultName;
  const refs = plan.keys.map((k) => {
    const args: string[] = [];
    if (k.descending) args.push("sort: Desc");
    if (k.opclass) args.push(`ops: raw("${k.opclass}")`);
    const field = fieldOf(model, k.column!)!;
    return args.length ? `${field}(${args.join(", ")})` : field;
  });
  const extra: string[] = [];
  if (name !== defaultName) extra.push(`map: "${name}"`);
  const method = PRISMA_METHODS[plan.method];
  if (method) extra.push(`type: ${method}`);
  const text = `@@${plan.unique ? "unique" : "index"}([${refs.join(", ")}]${extra.length ? `, ${extra.join(", ")}` : ""})`;
  const keys = plan.keys.map((k) => `${quote(k.column!)}${k.opclass ? ` ${k.opclass}` : ""}${k.descending ? " DESC" : ""}`);
  const sql = `CREATE ${plan.unique ? "UNIQUE " : ""}INDEX ${quote(name)} ON ${tableSql(model.schema, model.table)}${method ? ` USING ${method.toUpperCase()}` : ""}(${keys.join(", ")});`;
  const note = plan.concurrent ? GENERATED_BUILD_NOTE[pushed ? "push" : "prisma"](tableSql(model.schema, model.table)) : undefined;
  return { declared: { file, line, action: "add", text, language: "prisma", ...(note ? { note } : {}) }, sql, name };
}

/**
 * What the ORM's generated CREATE INDEX locks on a table that already exists, and how to build it without
 * blocking writes. The statement `prisma migrate` and drizzle-kit write has no CONCURRENTLY, so it holds a
 * SHARE lock (writes wait) for the whole build; drizzle-kit migrate runs every pending migration in one
 * transaction (PgDialect.migrate in drizzle-orm), where CONCURRENTLY fails with SQLSTATE 25001.
 */
const GENERATED_BUILD_NOTE = {
  push: (table: string) =>
    `The push builds the index with a plain CREATE INDEX, which blocks writes to ${table} for the whole build. On a large table, build it by hand first with CREATE INDEX CONCURRENTLY IF NOT EXISTS under the same name; the push then finds it in place.`,
  prisma: (table: string) =>
    `\`prisma migrate dev\` writes a plain CREATE INDEX, which blocks writes to ${table} for the whole build. On a large table, create the migration with \`prisma migrate dev --create-only\`, change the statement to CREATE INDEX CONCURRENTLY, and keep it alone in that migration.sql.`,
  drizzle: (table: string) =>
    `drizzle-kit generate writes a plain CREATE INDEX, which blocks writes to ${table} for the whole build, and drizzle-kit migrate applies all pending migrations in one transaction, where CONCURRENTLY fails. On a large table, build the index first outside the migrator (psql, or a script run before it) with CREATE INDEX CONCURRENTLY IF NOT EXISTS, and make the generated statement CREATE INDEX IF NOT EXISTS so it finds the index built and does nothing.`,
};

/** `${t.key}` for each column the SQL text names, quoted or not (`t` is the config callback's own parameter name). */
function drizzleSql(text: string, model: DeclaredModel): string {
  const t = drizzleTableParam(model);
  let out = text;
  for (const field of [...model.fields].sort((a, b) => b.column.length - a.column.length)) {
    const escaped = field.column.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    out = out.replace(new RegExp(`"${escaped}"|\\b${escaped}\\b(?!")`, "g"), `\${${t}.${field.field}}`);
  }
  return out.replace(/`/g, "\\`");
}

function drizzleForm(plan: IndexPlan, model: DeclaredModel, file: string, pushed: boolean): { declared: DeclaredFix; sql?: string; name?: string } {
  const line = insertionLine(model);
  if (plan.include.length || plan.keys.some((k) => k.column && !fieldOf(model, k.column))) {
    return {
      declared: {
        file,
        line,
        action: "add",
        text: "",
        language: "typescript",
        note: "Drizzle's index builder cannot express INCLUDE columns or a column the table declaration does not have. Keep this SQL in a migration of its own (`drizzle-kit generate --custom`).",
      },
    };
  }
  const keys = plan.keys.map((k) => {
    let ref = k.column ? `${drizzleTableParam(model)}.${fieldOf(model, k.column)}` : `sql\`${drizzleSql(k.expression!, model)}\``;
    if (k.opclass) ref += `.op("${k.opclass}")`;
    if (k.descending) ref += ".desc()";
    if (k.nulls === "first" && !k.descending) ref += ".nullsFirst()";
    if (k.nulls === "last" && k.descending) ref += ".nullsLast()";
    return ref;
  });
  const builder = plan.unique ? "uniqueIndex" : "index";
  const on = plan.method === "btree" ? `.on(${keys.join(", ")})` : `.using("${plan.method}", ${keys.join(", ")})`;
  const where = plan.where ? `.where(sql\`${drizzleSql(plan.where, model)}\`)` : "";
  const entry = `${builder}("${plan.name}")${on}${where}`;
  const item = model.extraConfig === "object" ? `${camel(plan.name)}: ${entry},` : `${entry},`;
  const placed = drizzleEntryPlacement(model, item, entry, [builder, ...(/sql`/.test(entry) ? ["sql"] : [])]);
  const notes = [
    ...placed.notes,
    plan.concurrent ? GENERATED_BUILD_NOTE[pushed ? "push" : "drizzle"](tableSql(model.schema, model.table)) : undefined,
  ].filter(Boolean);
  const note = notes.length ? notes.join(" ") : undefined;
  // drizzle-kit writes `CREATE INDEX "name" ON "table" USING btree ("col" DESC NULLS LAST) WHERE ...`.
  const sqlKeys = plan.keys.map((k) => `${k.column ? quote(k.column) : `(${k.expression})`}${k.opclass ? ` ${k.opclass}` : ""}${k.descending ? " DESC" : ""}${k.nulls ? ` NULLS ${k.nulls.toUpperCase()}` : ""}`);
  const sql = `CREATE ${plan.unique ? "UNIQUE " : ""}INDEX ${quote(plan.name)} ON ${tableSql(model.schema, model.table)} USING ${plan.method} (${sqlKeys.join(", ")})${plan.where ? ` WHERE ${plan.where}` : ""};`;
  return { declared: { file, line: placed.line ?? line, action: placed.action, text: placed.text, ...(placed.inserted ? { inserted: placed.inserted } : {}), language: "typescript", ...(note ? { note } : {}) }, sql };
}

/** Rules whose fix changes the schema's indexes; other fixes (a migration statement rewritten) stay SQL. */
const INDEX_CHANGE_RULES = new Set(["query-index", "fk-index", "redundant-index"]);

/**
 * The statements of an index fix: at most one CREATE INDEX, first, then the DROP INDEX of what it replaces;
 * null for anything else.
 */
function readIndexFix(sql: string, parsed?: Map<string, Array<Record<string, any>> | null>): { create: IndexPlan | null; drops: Array<{ schema: string | null; name: string }> } | null {
  const statements = parsed?.has(sql) ? parsed.get(sql) : parsedStatements(sql);
  if (!statements || statements.length === 0) return null;
  let create: IndexPlan | null = null;
  const drops: Array<{ schema: string | null; name: string }> = [];
  for (const [i, ast] of statements.entries()) {
    if (i === 0 && ast.IndexStmt) {
      create = readCreateIndex(ast);
      if (!create) return null;
      continue;
    }
    const drop = readDropIndex(ast);
    if (!drop) return null;
    drops.push(drop);
  }
  return { create, drops };
}

function parsedStatements(sql: string): Array<Record<string, any>> | null {
  const parsed = parseSql(sql);
  return parsed.ok ? parsed.statements.map((s) => s.ast) : null;
}

function dropSql(drop: { schema: string | null; name: string }): string {
  return `DROP INDEX ${drop.schema && drop.schema !== "public" ? `${quote(drop.schema)}.` : ""}${quote(drop.name)};`;
}

/**
 * The finding with its fix in the declared schema's form, when the fix creates or drops an index of a table an
 * ORM declares: `fix.declared` holds the schema change, and `fix.sql` becomes the SQL the ORM's tool generates
 * from it (unchanged when the declaration cannot express the index). A new index that replaces a declared one
 * is added beside it, and the note says to remove the old declaration in a later migration: swapped in one
 * step, `prisma migrate` and drizzle-kit drop the old index before they build the new one, in one migration.
 * A missing primary key becomes `@@id` / `primaryKey()` with its SQL kept. `framework` is the set's: a pushed schema (`prisma-schema`, `drizzle-schema`) has no migration to edit.
 * Any other finding comes back as it was.
 */
export function inDeclaredForm(finding: FindingDraft, schema: Schema, framework?: Framework, parsed?: Map<string, Array<Record<string, any>> | null>): FindingDraft {
  if (!finding.fix || !schema.declared?.length) return finding;
  const pushed = framework === "prisma-schema" || framework === "drizzle-schema";
  if (finding.rule === "missing-primary-key") return primaryKeyInDeclaredForm(finding, schema, pushed);
  if (!INDEX_CHANGE_RULES.has(finding.rule)) return finding;
  const plan = readIndexFix(finding.fix.sql, parsed);
  if (!plan) return finding;
  if (plan.create) return createInDeclaredForm(finding, schema, plan.create, plan.drops, pushed);
  if (plan.drops.length !== 1) return finding;
  const drop = plan.drops[0];
  for (const declared of schema.declared) {
    for (const model of declared.models) {
      if (drop.schema !== null && drop.schema !== model.schema) continue;
      const index = model.indexes.find((i) => i.name === drop.name && i.kind !== "primary");
      if (!index) continue;
      const language = declared.orm === "prisma" ? "prisma" : "typescript";
      const what = declared.orm === "prisma" ? (index.onField ? "the `@unique` attribute on this field" : "this line") : index.onField ? "the `.unique()` call on this column" : "this index entry";
      const fix: DeclaredFix = {
        file: index.location.file,
        line: index.location.line,
        action: index.onField ? "replace" : "remove",
        text: "",
        language,
        note: `Remove ${what} from the schema and let ${declared.orm === "prisma" ? "`prisma migrate dev`" : "`drizzle-kit generate`"} write the DROP INDEX; an index dropped by hand comes back as drift.`,
      };
      return { ...finding, fix: { ...finding.fix, sql: dropSql(drop), placement: "separate", declared: fix } };
    }
  }
  return finding;
}

/** inDeclaredForm of each finding, in order, with the index fixes' SQL parsed in one call (fix-parse.ts). */
export function inDeclaredForms(findings: FindingDraft[], schema: Schema, framework?: Framework): FindingDraft[] {
  if (!schema.declared?.length) return findings;
  const sqls = findings.filter((f) => f.fix && INDEX_CHANGE_RULES.has(f.rule)).map((f) => f.fix!.sql);
  const parsed = sqls.length > 1 ? parseFixTexts(sqls) : undefined;
  return findings.map((f) => inDeclaredForm(f, schema, framework, parsed));
}

function createInDeclaredForm(finding: FindingDraft, schema: Schema, create: IndexPlan, drops: Array<{ schema: string | null; name: string }>, pushed: boolean): FindingDraft {
  const found = findModel(schema, create.schema, create.table);
  if (!found) return finding;
  const { declared, model } = found;
  const file = model.location.file;
  const form = declared.orm === "prisma" ? prismaForm(create, model, schema, file, pushed) : drizzleForm(create, model, file, pushed);
  const named = form.name && form.name !== create.name ? renamed(finding, create.name, form.name) : finding;
  // The declaration cannot say it: the fix stays the SQL, in a migration of its own.
  if (!form.sql) return { ...named, fix: { ...finding.fix!, placement: "separate", declared: form.declared } };
  let declaredFix = form.declared;
  const sql = [form.sql];
  const replaced = drops.map((drop) => ({ drop, index: model.indexes.find((i) => i.name === drop.name && (drop.schema ?? model.schema) === model.schema) }));
  if (replaced.length > 0) {
    // The declarations go in two steps: a schema change that swaps the line makes the tool drop the old index
    // first and build the new one in the same migration, holding the DROP's ACCESS EXCLUSIVE lock (reads wait
    // too) for the whole build, with neither index usable meanwhile.
    const declaredOnes = replaced.filter((r) => r.index);
    const handMade = replaced.filter((r) => !r.index);
    const tool = declared.orm === "prisma" ? "`prisma migrate dev`" : "`drizzle-kit generate`";
    const notes = [form.declared.note];
    if (declaredOnes.length) {
      const list = declaredOnes.map((r) => `${r.index!.name} (line ${r.index!.location.line})`).join(", ");
      notes.push(
        `Keep ${list} until this index is built, then remove ${declaredOnes.length > 1 ? "those declarations" : "that declaration"} in a later migration: ${tool} writes its DROP INDEX there. Swapping the line in one step would make ${tool} drop the old index before it builds the new one, in one migration, whose ACCESS EXCLUSIVE lock from the DROP blocks reads and writes on ${model.table} until the build ends.`,
      );
    }
    if (handMade.length) notes.push(`${handMade.map((r) => r.drop.name).join(", ")} is not in the schema: drop it in a migration of its own once the new index is in place.`);
    declaredFix = { ...form.declared, note: notes.filter(Boolean).join(" ") };
    sql.push(...handMade.map((r) => dropSql(r.drop)));
  }
  return { ...named, fix: { ...finding.fix!, sql: sql.join("\n"), placement: "separate", declared: declaredFix } };
}
