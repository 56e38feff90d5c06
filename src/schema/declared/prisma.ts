// schema.prisma (one file, or the files of a `prisma/schema/` folder) -> the declared model, the mapping from
// model and field names to tables and columns, and the DDL `prisma migrate` generates for PostgreSQL.
// Sources: Prisma schema reference (attributes @id @@id @unique @@unique @@index @relation @map @@map @@schema,
// native types @db.*), "Relation mode" (relationMode = "prisma": no foreign keys in the database, index the
// relation scalar yourself), "Index configuration" (sort, type: Hash|Gin|Gist|Brin|SpGist, ops), and the
// constraint naming of prisma-engines psl-core ConstraintNames (`{table}_pkey`, `{table}_{columns}_key`,
// `{table}_{columns}_idx`, `{table}_{columns}_fkey`, cut to fit PostgreSQL's 63 bytes before the suffix).
import type { DeclaredEnum, DeclaredField, DeclaredIndex, DeclaredModel, DeclaredRelation, DeclaredSchema, FkAction, InputProblem, Location } from "../../core/types.js";
import { quoteName, tableSql, type DdlPiece, type DeclaredRead, type LocationHints } from "./ddl.js";
import { clipBytes } from "../naming.js";
import { argument, fieldRefs, identValue, parsePsl, stringValue, type PslAttribute, type PslBlock, type PslField, type PslValue } from "./psl.js";

// Prisma cuts names by bytes (Rust's String::truncate); names here are ASCII in practice, and clipBytes never
// splits a character.
const MAX = 63;

/** `{table}_pkey`, the table cut to 58 bytes. */
export function prismaPrimaryKeyName(table: string): string {
  return `${clipBytes(table, MAX - 5)}_pkey`;
}

/** `{table}_{columns}_key` / `_idx`, the joined part cut to leave room for the suffix. */
export function prismaIndexName(table: string, columns: string[], unique: boolean): string {
  const suffix = unique ? "_key" : "_idx";
  return `${clipBytes(`${table}_${columns.join("_")}`, MAX - suffix.length)}${suffix}`;
}

/** `{table}_{columns}_fkey`, cut to 58 bytes before the suffix. */
export function prismaForeignKeyName(table: string, columns: string[]): string {
  return `${clipBytes(`${table}_${columns.join("_")}`, MAX - 5)}_fkey`;
}

const SCALAR_TYPES: Record<string, string> = {
  String: "TEXT",
  Boolean: "BOOLEAN",
  Int: "INTEGER",
  BigInt: "BIGINT",
  Float: "DOUBLE PRECISION",
  Decimal: "DECIMAL(65,30)",
  DateTime: "TIMESTAMP(3)",
  Json: "JSONB",
  Bytes: "BYTEA",
};

/** Native type attributes (`@db.X`) whose SQL spelling is not just the name in capitals. */
const NATIVE_TYPES: Record<string, string> = {
  DoublePrecision: "DOUBLE PRECISION",
  Timestamptz: "TIMESTAMPTZ",
  Timetz: "TIMETZ",
  JsonB: "JSONB",
  ByteA: "BYTEA",
  VarBit: "VARBIT",
  Integer: "INTEGER",
};

const ACTIONS: Record<string, FkAction> = {
  Cascade: "cascade",
  Restrict: "restrict",
  NoAction: "no action",
  SetNull: "set null",
  SetDefault: "set default",
};

const METHODS: Record<string, string> = { BTree: "btree", Hash: "hash", Gin: "gin", Gist: "gist", Brin: "brin", SpGist: "spgist" };

interface ModelInfo {
  block: PslBlock;
  file: string;
  schema: string;
  table: string;
  /** field name -> column name, for scalar fields. */
  columns: Map<string, string>;
  scalars: PslField[];
  relations: PslField[];
}

function attr(field: { attributes: PslAttribute[] }, name: string): PslAttribute | undefined {
  return field.attributes.find((a) => a.name === name);
}

/** The first argument (or `name:`) of an attribute, as a string: `@map("x")`, `@@schema("auth")`. */
function attrString(node: { attributes: PslAttribute[] }, name: string): string | undefined {
  const a = attr(node, name);
  return a ? stringValue(argument(a, "name", 0)) : undefined;
}

function loc(file: string, node: { line: number; column: number }): Location {
  return { file, line: node.line, column: node.column };
}

function setting(block: PslBlock, key: string): PslValue | undefined {
  return block.settings.find((s) => s.key === key)?.value;
}

/** PascalCase Prisma operator classes (`JsonbPathOps`) to PostgreSQL's (`jsonb_path_ops`); `raw("x")` as written. */
function opclass(value: PslValue | undefined): string | undefined {
  if (!value) return undefined;
  if (value.kind === "call" && value.name === "raw") return stringValue(value.args[0]?.value);
  if (value.kind === "ident") return value.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  return undefined;
}

export interface PrismaFiles {
  /** Files of one schema, relative to the audited root, with their text. */
  files: Array<{ path: string; text: string }>;
}

/** Reads one Prisma schema (one file or a folder's files) into the declared model and its DDL. */
export function readPrismaSchema({ files }: PrismaFiles): DeclaredRead {
  const problems: InputProblem[] = [];
  const blocks: Array<{ block: PslBlock; file: string }> = [];
  for (const { path, text } of files) {
    const parsed = parsePsl(text);
    for (const e of parsed.errors) problems.push({ message: `Prisma schema: ${e.message}`, location: { file: path, line: e.line, column: e.column } });
    for (const block of parsed.blocks) blocks.push({ block, file: path });
  }

  const declared: DeclaredSchema = { orm: "prisma", files: files.map((f) => f.path), models: [], enums: [] };
  const datasource = blocks.find((b) => b.block.kind === "datasource")?.block;
  if (datasource) {
    const provider = setting(datasource, "provider");
    declared.provider = stringValue(provider);
    const mode = stringValue(setting(datasource, "relationMode")) ?? stringValue(setting(datasource, "referentialIntegrity"));
    declared.relationMode = mode === "prisma" ? "prisma" : "foreignKeys";
  }
  const ddl: DdlPiece[] = [];
  const hints: LocationHints = new Map();
  if (declared.provider && !/^(postgres|postgresql|cockroachdb)$/.test(declared.provider)) {
    return { declared, ddl, hints, problems };
  }
  const defaultSchema = "public";
  const schemaOf = (block: PslBlock): string => attrString(block, "schema") ?? defaultSchema;

  // Enums first: tables refer to them.
  const enums = new Map<string, DeclaredEnum>();
  for (const { block, file } of blocks) {
    if (block.kind !== "enum") continue;
    const mapped = attrString(block, "map");
    const values = block.fields.map((v) => attrString(v, "map") ?? v.name);
    const e: DeclaredEnum = { name: block.name, schema: schemaOf(block), type: mapped ?? block.name, values, location: loc(file, block) };
    enums.set(block.name, e);
    declared.enums.push(e);
    ddl.push({ sql: `CREATE TYPE ${tableSql(e.schema, e.type)} AS ENUM (${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(", ")});`, location: e.location });
  }

  const models = new Map<string, ModelInfo>();
  for (const { block, file } of blocks) {
    if (block.kind !== "model") continue;
    const table = attrString(block, "map") ?? block.name;
    const info: ModelInfo = { block, file, schema: schemaOf(block), table, columns: new Map(), scalars: [], relations: [] };
    models.set(block.name, info);
  }
  for (const info of models.values()) {
    for (const field of info.block.fields) {
      if (models.has(field.type)) info.relations.push(field);
      else {
        info.scalars.push(field);
        info.columns.set(field.name, attrString(field, "map") ?? field.name);
      }
    }
  }

  const foreignKeys: DdlPiece[] = [];
  const indexPieces: DdlPiece[] = [];
  const joinTables = new Set<string>();
  for (const info of models.values()) {
    const model: DeclaredModel = { name: info.block.name, schema: info.schema, table: info.table, fields: [], relations: [], indexes: [], insertLine: info.block.endLine, location: loc(info.file, info.block) };
    declared.models.push(model);
    const at = (node: { line: number; column: number }) => loc(info.file, node);
    const key = `${info.schema}.${info.table}`;
    hints.set(`table:${key}`, model.location);
    const columnOf = (name: string): string => {
      const column = info.columns.get(name);
      if (column === undefined) problems.push({ message: `Prisma schema: model ${info.block.name} has no scalar field "${name}"`, location: model.location });
      return column ?? name;
    };

    const columnDefs: string[] = [];
    for (const field of info.scalars) {
      const column = info.columns.get(field.name)!;
      const type = sqlType(field, enums);
      // prisma migrate writes scalar lists without NOT NULL, optional or not.
      const nullable = field.optional || field.list;
      const declaredField: DeclaredField = { field: field.name, column, type, nullable, location: at(field) };
      if (field.list) declaredField.list = true;
      if (enums.has(field.type)) declaredField.enumType = field.type;
      model.fields.push(declaredField);
      columnDefs.push(`${quoteName(column)} ${type}${nullable ? "" : " NOT NULL"}`);
      hints.set(`column:${key}.${column}`, at(field));
    }

    // Primary key: @id on a field or @@id([...]).
    const idField = info.scalars.find((f) => attr(f, "id"));
    const blockId = attr(info.block, "id");
    if (idField || blockId) {
      const attribute = idField ? attr(idField, "id")! : blockId!;
      const columns = idField ? [info.columns.get(idField.name)!] : fieldRefs(argument(blockId!, "fields", 0)).map((r) => columnOf(r.name));
      const name = stringValue(argument(attribute, "map")) ?? prismaPrimaryKeyName(info.table);
      columnDefs.push(`CONSTRAINT ${quoteName(name)} PRIMARY KEY (${columns.map(quoteName).join(", ")})`);
      hints.set(`index:${key}.${name}`, at(attribute));
      model.indexes.push({ name, columns, kind: "primary", onField: Boolean(idField), location: at(attribute) });
    }
    ddl.push({ sql: `CREATE TABLE ${tableSql(info.schema, info.table)} (${columnDefs.join(", ")});`, location: model.location });

    // Unique and plain indexes: prisma migrate writes every one as CREATE [UNIQUE] INDEX.
    const indexes: Array<{ attribute: PslAttribute; refs: Array<{ name: string; args: { name?: string; value: PslValue }[] }>; unique: boolean; onField: boolean }> = [];
    for (const field of info.scalars) {
      const unique = attr(field, "unique");
      if (unique) indexes.push({ attribute: unique, refs: [{ name: field.name, args: unique.args.filter((a) => a.name === "sort") }], unique: true, onField: true });
    }
    for (const attribute of info.block.attributes) {
      if (attribute.name !== "unique" && attribute.name !== "index") continue;
      indexes.push({ attribute, refs: fieldRefs(argument(attribute, "fields", 0)), unique: attribute.name === "unique", onField: false });
    }
    for (const { attribute, refs, unique, onField } of indexes) {
      const columns = refs.map((r) => columnOf(r.name));
      const name = stringValue(argument(attribute, "map")) ?? (attribute.name === "index" ? stringValue(argument(attribute, "name")) : undefined) ?? prismaIndexName(info.table, columns, unique);
      const method = METHODS[identValue(argument(attribute, "type")) ?? ""];
      const keys = refs.map((ref, i) => {
        const fake: PslAttribute = { name: "", args: ref.args, line: 0, column: 0 };
        const ops = opclass(argument(fake, "ops"));
        const desc = identValue(argument(fake, "sort")) === "Desc";
        return `${quoteName(columns[i])}${ops ? ` ${ops}` : ""}${desc ? " DESC" : ""}`;
      });
      const where = argument(attribute, "where");
      const whereSql = where?.kind === "call" && where.name === "raw" ? stringValue(where.args[0]?.value) : undefined;
      const sql = `CREATE ${unique ? "UNIQUE " : ""}INDEX ${quoteName(name)} ON ${tableSql(info.schema, info.table)}${method && method !== "btree" ? ` USING ${method.toUpperCase()}` : ""} (${keys.join(", ")})${whereSql ? ` WHERE ${whereSql}` : ""};`;
      indexPieces.push({ sql, location: at(attribute) });
      model.indexes.push({ name, columns, kind: unique ? "unique" : "index", onField, location: at(attribute) });
    }

    // Relations.
    for (const field of info.relations) {
      const target = models.get(field.type)!;
      const relation = attr(field, "relation");
      const relationName = relation ? stringValue(argument(relation, "name", 0)) : undefined;
      const fields = relation ? fieldRefs(argument(relation, "fields")).map((r) => r.name) : [];
      if (fields.length > 0) {
        const references = fieldRefs(argument(relation!, "references")).map((r) => r.name);
        const columns = fields.map(columnOf);
        const targetColumns = references.map((r) => target.columns.get(r) ?? r);
        const optional = fields.some((f) => info.scalars.find((s) => s.name === f)?.optional);
        const onDelete = ACTIONS[identValue(argument(relation!, "onDelete")) ?? ""] ?? (optional ? "set null" : "restrict");
        const onUpdate = ACTIONS[identValue(argument(relation!, "onUpdate")) ?? ""] ?? "cascade";
        const applicationOnly = declared.relationMode === "prisma";
        model.relations.push({
          field: field.name,
          target: target.block.name,
          from: { columns, fields },
          to: { schema: target.schema, table: target.table, columns: targetColumns, fields: references },
          holdsForeignKey: true,
          list: field.list,
          ...(relationName ? { name: relationName } : {}),
          onDelete,
          onUpdate,
          applicationOnly,
          location: at(field),
        });
        const name = stringValue(argument(relation!, "map")) ?? prismaForeignKeyName(info.table, columns);
        hints.set(`index:${key}.${name}`, at(field));
        if (!applicationOnly) {
          foreignKeys.push({
            sql: `ALTER TABLE ${tableSql(info.schema, info.table)} ADD CONSTRAINT ${quoteName(name)} FOREIGN KEY (${columns.map(quoteName).join(", ")}) REFERENCES ${tableSql(target.schema, target.table)}(${targetColumns.map(quoteName).join(", ")}) ON DELETE ${onDelete.toUpperCase()} ON UPDATE ${onUpdate.toUpperCase()};`,
            location: at(field),
          });
        }
        continue;
      }
      // The other side holds the key, or neither does (an implicit many-to-many through a join table).
      const back = target.relations.find((f) => f.type === info.block.name && f !== field && sameRelationName(f, relationName));
      const backRelation = back ? attr(back, "relation") : undefined;
      const backFields = backRelation ? fieldRefs(argument(backRelation, "fields")).map((r) => r.name) : [];
      if (back && backFields.length > 0) {
        const references = fieldRefs(argument(backRelation!, "references")).map((r) => r.name);
        model.relations.push({
          field: field.name,
          target: target.block.name,
          from: { columns: references.map((r) => info.columns.get(r) ?? r), fields: references },
          to: { schema: target.schema, table: target.table, columns: backFields.map((f) => target.columns.get(f) ?? f), fields: backFields },
          holdsForeignKey: false,
          list: field.list,
          ...(relationName ? { name: relationName } : {}),
          applicationOnly: declared.relationMode === "prisma",
          location: at(field),
        });
      } else if (back && field.list && back.list) {
        const join = implicitJoinTable(info, target, relationName);
        model.relations.push({
          field: field.name,
          target: target.block.name,
          from: { columns: idColumns(info), fields: idFields(info) },
          to: { schema: join.schema, table: join.table, columns: [join.selfColumn(info)], fields: [] },
          holdsForeignKey: false,
          list: true,
          ...(relationName ? { name: relationName } : {}),
          applicationOnly: declared.relationMode === "prisma",
          location: at(field),
        });
        if (!joinTables.has(join.table)) {
          joinTables.add(join.table);
          // Its foreign keys go with the others, after every table exists.
          for (const piece of join.ddl(enums, declared.relationMode === "prisma", at(field))) (/ FOREIGN KEY /.test(piece.sql) ? foreignKeys : ddl).push(piece);
        }
      }
    }
  }
  ddl.push(...indexPieces, ...foreignKeys);
  return { declared, ddl, hints, problems };
}

function sameRelationName(field: PslField, name: string | undefined): boolean {
  const relation = attr(field, "relation");
  const other = relation ? stringValue(argument(relation, "name", 0)) : undefined;
  return other === name;
}

function idFields(info: ModelInfo): string[] {
  const field = info.scalars.find((f) => attr(f, "id"));
  if (field) return [field.name];
  const block = attr(info.block, "id");
  return block ? fieldRefs(argument(block, "fields", 0)).map((r) => r.name) : [];
}

function idColumns(info: ModelInfo): string[] {
  return idFields(info).map((f) => info.columns.get(f) ?? f);
}

/**
 * Prisma's implicit many-to-many table: `_{A}To{B}` (models in name order, or `_{relation name}`), columns "A" and
 * "B" referencing each model's id, a primary key on (A, B) and an index on B; both keys cascade.
 */
function implicitJoinTable(self: ModelInfo, other: ModelInfo, relationName: string | undefined) {
  const [a, b] = [self, other].sort((x, y) => (x.block.name < y.block.name ? -1 : x.block.name > y.block.name ? 1 : 0));
  const table = `_${relationName ?? `${a.block.name}To${b.block.name}`}`;
  const schema = a.schema;
  return {
    schema,
    table,
    selfColumn: (m: ModelInfo) => (m === a ? "A" : "B"),
    ddl(enums: Map<string, DeclaredEnum>, applicationOnly: boolean, location: Location): DdlPiece[] {
      const idType = (m: ModelInfo): string => {
        const field = m.scalars.find((f) => attr(f, "id"));
        return field ? sqlType({ ...field, attributes: field.attributes.filter((x) => x.name !== "default") }, enums) : "TEXT";
      };
      const pieces: DdlPiece[] = [
        {
          sql: `CREATE TABLE ${tableSql(schema, table)} ("A" ${idType(a)} NOT NULL, "B" ${idType(b)} NOT NULL, CONSTRAINT ${quoteName(prismaPrimaryKeyName(`${table}_AB`))} PRIMARY KEY ("A", "B"));`,
          location,
        },
        { sql: `CREATE INDEX ${quoteName(`${table}_B_index`)} ON ${tableSql(schema, table)} ("B");`, location },
      ];
      if (!applicationOnly) {
        for (const [column, model] of [["A", a], ["B", b]] as const) {
          pieces.push({
            sql: `ALTER TABLE ${tableSql(schema, table)} ADD CONSTRAINT ${quoteName(prismaForeignKeyName(table, [column]))} FOREIGN KEY (${quoteName(column)}) REFERENCES ${tableSql(model.schema, model.table)}(${idColumns(model).map(quoteName).join(", ")}) ON DELETE CASCADE ON UPDATE CASCADE;`,
            location,
          });
        }
      }
      return pieces;
    },
  };
}

/** The column type prisma migrate writes for a scalar field. */
function sqlType(field: PslField, enums: Map<string, DeclaredEnum>): string {
  let type: string;
  const native = field.attributes.find((a) => a.name.startsWith("db."));
  const autoincrement = field.attributes.some((a) => a.name === "default" && a.args[0]?.value.kind === "call" && a.args[0].value.name === "autoincrement");
  if (field.unsupported !== undefined) type = field.unsupported;
  else if (enums.has(field.type)) {
    const e = enums.get(field.type)!;
    type = tableSql(e.schema, e.type);
  } else if (native) {
    const name = native.name.slice(3);
    const args = native.args.map((a) => (a.value.kind === "number" ? a.value.value : a.value.kind === "string" ? a.value.value : "")).filter(Boolean);
    type = `${NATIVE_TYPES[name] ?? name.toUpperCase()}${args.length ? `(${args.join(",")})` : ""}`;
  } else type = SCALAR_TYPES[field.type] ?? "TEXT";
  if (autoincrement && !field.list) {
    if (/^(INTEGER|INT)$/.test(type)) type = "SERIAL";
    else if (type === "BIGINT") type = "BIGSERIAL";
    else if (type === "SMALLINT") type = "SMALLSERIAL";
  }
  return field.list ? `${type}[]` : type;
}

export type { DeclaredIndex, DeclaredRelation };
