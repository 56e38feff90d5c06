// Joins a declared schema to the schema the migrations build. Migrations are the truth about the database;
// the declaration adds what the database does not hold (Prisma relationMode = "prisma" relations, which the
// application enforces without constraints), the model and field names client code uses, and tables it
// declares that the migrations never create (migrations out of step with the declaration).
// Where there are no migrations (`prisma db push`, `drizzle-kit push`) the declaration is the schema.
import type { DeclaredSchema, ForeignKey, InputProblem, MigrationSet, Schema, Statement, Table } from "../../core/types.js";
import { replaySchema } from "../replay.js";
import { ddlStatements, placeAtDeclarations, type DeclaredRead } from "./ddl.js";
import { prismaForeignKeyName } from "./prisma.js";

export interface MergeResult {
  schema: Schema;
  /** Tables the declaration holds and the migrations do not, added from the declaration (`schema.table`). */
  addedTables: string[];
  /** Relations added as application-only foreign keys. */
  applicationOnlyForeignKeys: number;
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/**
 * The declared relations that no database constraint backs, as foreign keys marked `applicationOnly`, on the
 * tables of `schema` that hold them. Returns how many were added. Pure except for the tables it is given.
 */
function addApplicationOnlyKeys(schema: Schema, declared: DeclaredSchema): number {
  let added = 0;
  for (const model of declared.models) {
    const table = schema.tables.find((t) => t.schema === model.schema && t.name === model.table);
    if (!table) continue;
    for (const relation of model.relations) {
      if (!relation.holdsForeignKey || !relation.applicationOnly) continue;
      if (!relation.from.columns.every((c) => table.columns.some((col) => col.name === c))) continue;
      if (table.foreignKeys.some((fk) => sameColumns(fk.columns, relation.from.columns))) continue;
      const fk: ForeignKey = {
        name: prismaForeignKeyName(table.name, relation.from.columns),
        columns: [...relation.from.columns],
        references: { schema: relation.to.schema, table: relation.to.table, columns: [...relation.to.columns] },
        onDelete: relation.onDelete ?? "no action",
        onUpdate: relation.onUpdate ?? "no action",
        notValid: false,
        applicationOnly: true,
        location: relation.location,
      };
      table.foreignKeys.push(fk);
      added++;
    }
  }
  return added;
}

function copyTable(table: Table): Table {
  return { ...table, columns: [...table.columns], indexes: [...table.indexes], foreignKeys: [...table.foreignKeys] };
}

/**
 * `migrated` with the declaration joined in: application-only relations, the declared mapping, and the declared
 * tables the migrations lack. `migrated` itself is left as it was.
 */
export function mergeDeclared(migrated: Schema, declared: Schema & { declared: DeclaredSchema[] }): MergeResult {
  const tables = migrated.tables.map(copyTable);
  const addedTables: string[] = [];
  const mapping = declared.declared[0];
  for (const model of mapping.models) {
    if (tables.some((t) => t.schema === model.schema && t.name === model.table)) continue;
    const fromDeclaration = declared.tables.find((t) => t.schema === model.schema && t.name === model.table);
    if (!fromDeclaration) continue;
    tables.push(copyTable(fromDeclaration));
    addedTables.push(`${model.schema}.${model.table}`);
  }
  // Views and anything else the migrations built stay as they are.
  const schema: Schema = { ...migrated, tables, declared: [...(migrated.declared ?? []), ...declared.declared] };
  const applicationOnlyForeignKeys = addApplicationOnlyKeys(schema, mapping);
  return { schema, addedTables, applicationOnlyForeignKeys };
}

/**
 * The migrations replayed over the declared tables they never create. A project whose base schema was pushed
 * (`drizzle-kit push`, `prisma db push`) and whose migrations only change it later alters and indexes those
 * tables: replayed alone, those statements find no table and are lost. Here the declared DDL of `addedTables`
 * (`schema.table`) runs first, then every migration statement, so an index a migration adds to a declared table
 * is in the model. Returns null when there is nothing to add. Objects of the added tables point at their
 * declaring lines; the migrations' own keep theirs.
 */
export function replayOverDeclared(read: DeclaredRead, addedTables: string[], migrations: Statement[]): Schema | null {
  if (addedTables.length === 0) return null;
  const added = new Set(addedTables);
  const order = new Map(read.declared.files.map((f, i) => [f, i]));
  const base = ddlStatements(read.ddl, (file) => order.get(file) ?? 0, []).filter((statement) => {
    const relation = statement.ast.CreateStmt?.relation ?? statement.ast.IndexStmt?.relation ?? statement.ast.AlterTableStmt?.relation;
    return relation?.relname !== undefined && added.has(`${relation.schemaname ?? "public"}.${relation.relname}`);
  });
  // Problems of these statements were reported when the migrations were replayed alone.
  const schema = replaySchema([...base, ...migrations]);
  placeAtDeclarations({ tables: schema.tables.filter((t) => added.has(`${t.schema}.${t.name}`)) }, read.hints);
  return schema;
}

/**
 * A declared schema replayed on its own: the schema of a `db push` / `push` project, with its mapping attached.
 * The DDL is parsed at once, so that what PostgreSQL refuses goes into `problems` now; it is replayed when
 * `schema.tables`, `schema.views` or `applicationOnlyForeignKeys` is first read. Joined to migrations that
 * create every declared table (mergeDeclared reads only the mapping then), it never is.
 */
export function declaredSchema(read: DeclaredRead, problems: InputProblem[]): { schema: Schema & { declared: DeclaredSchema[] }; applicationOnlyForeignKeys: number } {
  const order = new Map(read.declared.files.map((f, i) => [f, i]));
  const statements = ddlStatements(read.ddl, (file) => order.get(file) ?? 0, problems);
  const declared = [read.declared];
  let built: { tables: Table[]; views: Schema["views"]; applicationOnlyForeignKeys: number } | undefined;
  const build = () => {
    if (!built) {
      const replayed = replaySchema(statements);
      placeAtDeclarations(replayed, read.hints);
      const withMapping = { ...replayed, declared };
      built = { tables: withMapping.tables, views: withMapping.views, applicationOnlyForeignKeys: addApplicationOnlyKeys(withMapping, read.declared) };
    }
    return built;
  };
  const schema = {
    get tables() {
      return build().tables;
    },
    get views() {
      return build().views;
    },
    declared,
  };
  return {
    schema,
    get applicationOnlyForeignKeys() {
      return build().applicationOnlyForeignKeys;
    },
  };
}

/** The migration set that stands for a declared schema with no migrations. */
export function declaredSet(read: DeclaredRead, root: string): MigrationSet {
  const framework = read.declared.orm === "prisma" ? "prisma-schema" : "drizzle-schema";
  return {
    name: root || ".",
    framework,
    root,
    files: read.declared.files.map((path, order) => ({ path, order, runsInTransaction: false })),
  };
}
