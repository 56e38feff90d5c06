// A minimal reader of the names schema.prisma and Drizzle `pgTable` declarations give, behind the
// `DeclaredNames` interface of declared-names.ts: model and field names to tables and columns, relations
// and Prisma enum fields. It reads only what name resolution needs; the full readers of declared schemas
// (indexes, keys, DDL) live under src/schema/ and can stand behind the same interface instead.
// Sources: Prisma schema reference (model, @map, @@map, @@schema, @relation, enum); Drizzle ORM
// documentation (Schema declaration, pgTable, pgSchema, Relations: one, many).
import { parseSync } from "oxc-parser";
import { literalString, peel, type Node } from "../code/ast.js";
import { lastName, objectProps, propertyOf } from "./build.js";
import type { DeclaredColumn, DeclaredNames, DeclaredRelationName, DeclaredTableNames, NamingClient } from "./declared-names.js";

/** A file's text, by path. */
export interface DeclaredSource {
  path: string;
  text: string;
}

export function declaredNamesFrom(prismaFiles: DeclaredSource[], drizzleFiles: DeclaredSource[]): DeclaredNames {
  const prisma = readPrisma(prismaFiles);
  const drizzle = readDrizzle(drizzleFiles);
  return {
    tableFor(client: NamingClient, name: string): DeclaredTableNames | undefined {
      if (client === "drizzle") return drizzle.get(name);
      // `prisma.deliveryAttempt` is model `DeliveryAttempt`: the accessor lower-cases the first letter.
      return prisma.get(name) ?? prisma.get(`\u0000${name}`);
    },
  };
}

// ---------------------------------------------------------------- schema.prisma

interface PrismaField {
  name: string;
  type: string;
  column: string;
  fields?: string[];
  references?: string[];
  relationName?: string;
}

/** Models by name, and by their client accessor under a `\u0000` prefix. */
function readPrisma(files: DeclaredSource[]): Map<string, DeclaredTableNames> {
  const models = new Map<string, { table: string; schema: string; fields: PrismaField[] }>();
  const enums = new Map<string, string>();
  for (const file of files) {
    const text = file.text.replace(/\/\/.*$/gm, "");
    for (const block of text.matchAll(/^\s*(model|enum|view)\s+(\w+)\s*\{([^{}]*)\}/gm)) {
      const [, kind, name, body] = block;
      const map = /@@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(body)?.[1];
      if (kind === "enum") {
        enums.set(name, map ?? name);
        continue;
      }
      const schema = /@@schema\(\s*"([^"]+)"/.exec(body)?.[1] ?? "public";
      const fields: PrismaField[] = [];
      for (const line of body.split("\n")) {
        const m = /^\s*(\w+)\s+(\w+)(\[\])?\??\s*(.*)$/.exec(line);
        if (!m || line.trim().startsWith("@@")) continue;
        const [, field, type, , attributes] = m;
        const relation = /@relation\(([^)]*)\)/.exec(attributes)?.[1];
        const list = (key: string) => relation && new RegExp(`${key}\\s*:\\s*\\[([^\\]]*)\\]`).exec(relation)?.[1].split(",").map((s) => s.trim()).filter(Boolean);
        fields.push({
          name: field,
          type,
          column: /@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(attributes)?.[1] ?? field,
          fields: list("fields") || undefined,
          references: list("references") || undefined,
          relationName: relation ? /^\s*(?:name:\s*)?"([^"]+)"/.exec(relation)?.[1] : undefined,
        });
      }
      models.set(name, { table: map ?? name, schema, fields });
    }
  }
  const out = new Map<string, DeclaredTableNames>();
  for (const [name, model] of models) {
    const columns = new Map<string, DeclaredColumn>();
    const relations = new Map<string, DeclaredRelationName>();
    const columnOf = (m: { fields: PrismaField[] }, field: string) => m.fields.find((f) => f.name === field)?.column ?? field;
    for (const field of model.fields) {
      const target = models.get(field.type);
      if (!target) {
        const castTo = enums.get(field.type);
        columns.set(field.name, castTo ? { column: field.column, castTo } : { column: field.column });
        continue;
      }
      if (field.fields && field.references) {
        relations.set(field.name, { target: field.type, targetColumns: field.references.map((r) => columnOf(target, r)) });
        continue;
      }
      // The other side holds the key: the relation field of the target that points back here.
      const back = target.fields.filter((f) => f.type === name && f.fields && (field.relationName === undefined || f.relationName === field.relationName));
      if (back.length === 1) relations.set(field.name, { target: field.type, targetColumns: back[0].fields!.map((f) => columnOf(target, f)) });
    }
    const table: DeclaredTableNames = { schema: model.schema, name: model.table, columns, relations };
    out.set(name, table);
    out.set(`\u0000${name.charAt(0).toLowerCase()}${name.slice(1)}`, table);
  }
  return out;
}

// ---------------------------------------------------------------- Drizzle pgTable

interface DrizzleTable {
  schema: string;
  name: string;
  columns: Map<string, DeclaredColumn>;
  /** Column key -> the table variable its `.references(() => t.col)` names. */
  references: Map<string, string>;
  relations: Map<string, { kind: "one" | "many"; target: string; fields?: string[]; references?: string[] }>;
}

function readDrizzle(files: DeclaredSource[]): Map<string, DeclaredTableNames> {
  const tables = new Map<string, DrizzleTable>();
  const schemas = new Map<string, string>();
  const relationCalls: Array<{ table: string; body: Node }> = [];
  for (const file of files) {
    let program: Node;
    try {
      program = parseSync(file.path, file.text, { sourceType: "module", lang: "ts" }).program as unknown as Node;
    } catch {
      continue;
    }
    for (const declarator of topLevelDeclarators(program)) {
      const name = declarator.id?.type === "Identifier" ? declarator.id.name : undefined;
      const init = declarator.init ? peel(declarator.init) : undefined;
      if (!name || init?.type !== "CallExpression") continue;
      const callee = peel(init.callee);
      const fn = lastName(callee);
      if (fn === "pgSchema") {
        const schema = literalString(init.arguments[0]);
        if (schema) schemas.set(name, schema);
      } else if (fn === "pgTable" || (fn === "table" && callee.type === "MemberExpression")) {
        const tableName = literalString(init.arguments[0]);
        if (!tableName) continue;
        const owner = callee.type === "MemberExpression" ? lastName(callee.object) : undefined;
        tables.set(name, readTable(owner ? schemas.get(owner) ?? "public" : "public", tableName, init.arguments[1]));
      } else if (fn === "relations") {
        const table = lastName(init.arguments[0]);
        const body = init.arguments[1] ? peel(init.arguments[1]) : undefined;
        if (table && body) relationCalls.push({ table, body: body.body?.type === "BlockStatement" ? body.body.body.find((s: Node) => s.type === "ReturnStatement")?.argument : body.body });
      }
    }
  }
  for (const { table, body } of relationCalls) {
    const owner = tables.get(table);
    for (const { key, value } of objectProps(body) ?? []) {
      const v = value ? peel(value) : undefined;
      if (!owner || !key || v?.type !== "CallExpression") continue;
      const kind = lastName(v.callee);
      const target = lastName(v.arguments[0]);
      if ((kind !== "one" && kind !== "many") || !target) continue;
      const keys = (n: Node | undefined) => (n && peel(n).type === "ArrayExpression" ? peel(n).elements.map((e: Node) => lastName(e)) : undefined);
      owner.relations.set(key, { kind, target, fields: keys(propertyOf(v.arguments[1], "fields")), references: keys(propertyOf(v.arguments[1], "references")) });
    }
  }
  const out = new Map<string, DeclaredTableNames>();
  for (const [name, table] of tables) {
    const relations = new Map<string, DeclaredRelationName>();
    for (const [field, r] of table.relations) {
      const target = tables.get(r.target);
      if (!target) continue;
      const columnsOf = (keys: string[]) => keys.map((k) => target.columns.get(k)?.column ?? k);
      if (r.kind === "one" && r.references) {
        relations.set(field, { target: r.target, targetColumns: columnsOf(r.references) });
        continue;
      }
      // many(), or one() without its fields: the target's `one(<this table>, { fields })`, or its `.references()`.
      const back = [...target.relations.values()].filter((b) => b.kind === "one" && b.target === name && b.fields);
      if (back.length === 1) relations.set(field, { target: r.target, targetColumns: columnsOf(back[0].fields!) });
      else {
        const referencing = [...target.references].filter(([, t]) => t === name).map(([k]) => k);
        if (referencing.length === 1) relations.set(field, { target: r.target, targetColumns: columnsOf(referencing) });
      }
    }
    out.set(name, { schema: table.schema, name: table.name, columns: table.columns, relations });
  }
  return out;
}

function topLevelDeclarators(program: Node): Node[] {
  const out: Node[] = [];
  for (const statement of program.body ?? []) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type === "VariableDeclaration") out.push(...declaration.declarations);
  }
  return out;
}

/** `{ vehicleId: uuid("vehicle_id").references(() => vehicles.id), name: text() }`: keys to columns. */
function readTable(schema: string, name: string, columnsNode: Node | undefined): DrizzleTable {
  const table: DrizzleTable = { schema, name, columns: new Map(), references: new Map(), relations: new Map() };
  let node = columnsNode ? peel(columnsNode) : undefined;
  // `pgTable("t", (t) => ({ ... }))`: the column builders come from the callback's parameter.
  if (node && (node.type === "ArrowFunctionExpression" || node.type === "FunctionExpression")) node = node.body?.type === "BlockStatement" ? undefined : peel(node.body);
  for (const { key, value } of objectProps(node) ?? []) {
    if (!key || !value) continue;
    let builder = peel(value);
    let column: string | undefined;
    while (builder.type === "CallExpression") {
      const callee = peel(builder.callee);
      if (lastName(callee) === "references") {
        const fn = builder.arguments[0] ? peel(builder.arguments[0]) : undefined;
        const target = fn?.body ? peel(fn.body) : undefined;
        const owner = target?.type === "MemberExpression" ? lastName(target.object) : undefined;
        if (owner) table.references.set(key, owner);
      }
      const inner = callee.type === "MemberExpression" ? peel(callee.object) : undefined;
      if (inner?.type !== "CallExpression") {
        // The root builder: `uuid("vehicle_id")`, `t.uuid("vehicle_id")`.
        column = literalString(builder.arguments[0]);
        break;
      }
      builder = inner;
    }
    // Without a name argument the key is the column name (drizzle-orm 0.32 and later).
    table.columns.set(key, { column: column ?? key });
  }
  return table;
}
