// Drizzle `pgTable` / `pgSchema('x').table` declarations -> the declared model, the mapping from TypeScript keys to
// column names, and the DDL drizzle-kit generates. Read with oxc; only what is written literally is understood.
// Sources: drizzle-orm pg-core (column builders, `.primaryKey() .unique() .notNull() .references() .array()`,
// `index() uniqueIndex() .on() .using() .where() .asc() .desc() .nullsFirst() .nullsLast() .op()`, `primaryKey()`,
// `foreignKey()`, `unique().on()`, `relations()`), and drizzle-kit's default names: `{table}_{columns}_index`,
// `{table}_{columns}_unique`, `{table}_{columns}_pk`, `{table}_{columns}_{foreignTable}_{foreignColumns}_fk`.
import { parseSync } from "oxc-parser";
import type { DeclaredEnum, DeclaredModel, DeclaredSchema, FkAction, InputProblem, Location } from "../../core/types.js";
import { lineIndex } from "../../sql/parser.js";
import { quoteName, type DdlPiece, type DeclaredRead, type LocationHints } from "./ddl.js";

type Node = Record<string, any>;

const ACTIONS: Record<string, FkAction> = { cascade: "cascade", restrict: "restrict", "no action": "no action", "set null": "set null", "set default": "set default" };

/** Column builder -> PostgreSQL type; the builders with options are handled in columnType. */
const TYPES: Record<string, string> = {
  uuid: "uuid",
  text: "text",
  integer: "integer",
  int: "integer",
  smallint: "smallint",
  bigint: "bigint",
  serial: "serial",
  smallserial: "smallserial",
  bigserial: "bigserial",
  boolean: "boolean",
  date: "date",
  time: "time",
  interval: "interval",
  json: "json",
  jsonb: "jsonb",
  real: "real",
  doublePrecision: "double precision",
  inet: "inet",
  cidr: "cidr",
  macaddr: "macaddr",
  macaddr8: "macaddr8",
  point: "point",
  line: "line",
  geometry: "geometry",
  bytea: "bytea",
  tsvector: "tsvector",
};

/** `/** drizzle *\/`: a file declares tables when it imports the pg core and calls a table builder. */
export function mayDeclareDrizzleTables(text: string): boolean {
  return text.includes("drizzle-orm/pg-core") && /\bpgTable(Creator)?\s*[(<]|\bpgTable\.withRLS\s*\(|\.table\s*\(/.test(text);
}

interface ColumnInfo {
  key: string;
  column: string;
  type: string;
  notNull: boolean;
  primaryKey: boolean;
  unique: string | null | undefined;
  references?: { target: Node; onDelete: FkAction; onUpdate: FkAction };
  location: Location;
}

interface TableInfo {
  variable: string;
  schema: string;
  table: string;
  columns: ColumnInfo[];
  extra: Node | null;
  /** Offset of the end of the table call. */
  end: number;
  /** The columns argument of the table call. */
  columnsNode: Node | null;
  /** The file's text, and the names it imports from drizzle-orm and drizzle-orm/pg-core. */
  text: string;
  imports: string[];
  file: string;
  at: (offset: number) => Location;
  location: Location;
}

interface FileInput {
  path: string;
  text: string;
}

/** The chain `a(...).b(...).c(...)` as its base call and the method calls after it, in order. */
function unwind(node: Node): { base: Node | null; calls: Array<{ name: string; args: Node[] }> } {
  const calls: Array<{ name: string; args: Node[] }> = [];
  let current: Node | undefined = strip(node);
  while (current?.type === "CallExpression" && current.callee?.type === "MemberExpression" && !current.callee.computed && strip(current.callee.object)?.type === "CallExpression") {
    calls.unshift({ name: current.callee.property.name, args: current.arguments });
    current = strip(current.callee.object);
  }
  return { base: current?.type === "CallExpression" ? current : null, calls };
}

/** Methods on a table that change no column, key or index (row level security). */
const TABLE_ONLY_METHODS = new Set(["enableRLS"]);

/** `pgTable(...).enableRLS()` -> the `pgTable(...)` call; anything else as it is. */
function tableCall(node: Node | undefined): Node | undefined {
  let n = node;
  while (n?.type === "CallExpression") {
    const callee = strip(n.callee);
    if (callee?.type !== "MemberExpression" || callee.computed || !TABLE_ONLY_METHODS.has(callee.property?.name)) break;
    const inner = strip(callee.object);
    if (inner?.type !== "CallExpression") break;
    n = inner;
  }
  return n;
}

function isWithRls(callee: Node | undefined): boolean {
  return callee?.type === "MemberExpression" && !callee.computed && callee.property?.name === "withRLS" && strip(callee.object)?.type === "Identifier" && strip(callee.object)!.name === "pgTable";
}

function strip(node: Node | undefined): Node | undefined {
  let n = node;
  while (n && (n.type === "ParenthesizedExpression" || n.type === "TSAsExpression" || n.type === "TSSatisfiesExpression" || n.type === "TSNonNullExpression")) n = n.expression;
  return n;
}

function calleeName(call: Node): string | undefined {
  const callee = strip(call.callee);
  if (callee?.type === "Identifier") return callee.name;
  if (callee?.type === "MemberExpression" && !callee.computed) return callee.property.name;
  return undefined;
}

function stringOf(node: Node | undefined): string | undefined {
  const n = strip(node);
  if (n?.type === "Literal" && typeof n.value === "string") return n.value;
  if (n?.type === "TemplateLiteral" && n.expressions.length === 0) return n.quasis[0]?.value?.cooked;
  return undefined;
}

function numberOf(node: Node | undefined): number | undefined {
  const n = strip(node);
  return n?.type === "Literal" && typeof n.value === "number" ? n.value : undefined;
}

function property(object: Node | undefined, name: string): Node | undefined {
  const o = strip(object);
  if (o?.type !== "ObjectExpression") return undefined;
  for (const p of o.properties) {
    if (p.type !== "Property") continue;
    const key = p.key?.type === "Identifier" ? p.key.name : p.key?.type === "Literal" ? String(p.key.value) : undefined;
    if (key === name) return p.value;
  }
  return undefined;
}

/** The object or array an arrow function returns: `(t) => ({...})`, `(t) => [...]`, `(t) => { return ... }`. */
function returned(fn: Node | undefined): Node | undefined {
  const f = strip(fn);
  if (f?.type !== "ArrowFunctionExpression" && f?.type !== "FunctionExpression") return f;
  const body = strip(f.body);
  if (body?.type !== "BlockStatement") return body;
  const ret = body.body.find((s: Node) => s.type === "ReturnStatement");
  return strip(ret?.argument);
}

function columnType(base: Node, builder: string, enums: Map<string, DeclaredEnum>): string {
  const options = base.arguments.find((a: Node) => strip(a)?.type === "ObjectExpression");
  const e = enums.get(builder);
  if (e) return e.schema === "public" ? quoteName(e.type) : `${quoteName(e.schema)}.${quoteName(e.type)}`;
  switch (builder) {
    case "varchar":
    case "char": {
      const length = numberOf(property(options, "length"));
      return `${builder === "char" ? "char" : "varchar"}${length !== undefined ? `(${length})` : ""}`;
    }
    case "timestamp":
    case "time": {
      const precision = numberOf(property(options, "precision"));
      const tz = strip(property(options, "withTimezone"))?.value === true;
      return `${builder}${precision !== undefined ? `(${precision})` : ""}${tz ? " with time zone" : ""}`;
    }
    case "numeric":
    case "decimal": {
      const precision = numberOf(property(options, "precision"));
      const scale = numberOf(property(options, "scale"));
      return precision !== undefined ? `numeric(${precision}${scale !== undefined ? `, ${scale}` : ""})` : "numeric";
    }
    case "vector":
    case "halfvec": {
      const dimensions = numberOf(property(options, "dimensions"));
      return `${builder}${dimensions !== undefined ? `(${dimensions})` : ""}`;
    }
    default:
      return TYPES[builder] ?? "text";
  }
}

/** Reads the Drizzle table declarations of the given files. Files that do not parse are reported and skipped. */
export function readDrizzleSchema(files: FileInput[]): DeclaredRead {
  const problems: InputProblem[] = [];
  const declared: DeclaredSchema = { orm: "drizzle", files: [], models: [], enums: [] };
  const ddl: DdlPiece[] = [];
  const hints: LocationHints = new Map();
  const tables = new Map<string, TableInfo>();
  const enums = new Map<string, DeclaredEnum>();
  const relationCalls: Array<{ node: Node; file: string; at: (o: number) => Location }> = [];

  for (const { path, text } of files) {
    const position = lineIndex(text);
    const at = (offset: number): Location => ({ file: path, ...position(offset) });
    let program: Node;
    try {
      const parsed = parseSync(path, text, { sourceType: "module", lang: /\.tsx$/.test(path) ? "tsx" : /\.[cm]?ts$/.test(path) ? "ts" : "jsx" });
      const fatal = parsed.errors.find((e) => e.severity === "Error");
      if (fatal) {
        problems.push({ message: `Drizzle schema: syntax error, file skipped: ${fatal.message}`, location: at(fatal.labels[0]?.start ?? 0) });
        continue;
      }
      program = parsed.program as unknown as Node;
    } catch (error) {
      problems.push({ message: `Drizzle schema: cannot parse: ${(error as Error).message}`, location: { file: path, line: 1, column: 1 } });
      continue;
    }
    const schemas = new Map<string, string>();
    let declaresSomething = false;
    const imports = program.body
      .filter((s: Node) => s.type === "ImportDeclaration" && /^drizzle-orm(\/pg-core)?$/.test(s.source?.value ?? ""))
      .flatMap((s: Node) => (s.specifiers ?? []).map((sp: Node) => sp.local?.name).filter(Boolean));
    for (const statement of program.body) {
      const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
      if (declaration?.type !== "VariableDeclaration") continue;
      for (const d of declaration.declarations) {
        if (d.id?.type !== "Identifier") continue;
        const init = tableCall(strip(d.init));
        if (init?.type !== "CallExpression") continue;
        const callee = strip(init.callee);
        // `pgTable.withRLS("name", ...)` is pgTable with row level security on.
        const name = isWithRls(callee) ? "pgTable" : calleeName(init);
        if (name === "pgSchema") {
          const schemaName = stringOf(init.arguments[0]);
          if (schemaName) schemas.set(d.id.name, schemaName);
        } else if (name === "pgEnum" || (name === "enum" && callee?.type === "MemberExpression" && schemas.has(strip(callee.object)?.name))) {
          const typeName = stringOf(init.arguments[0]);
          const values = strip(init.arguments[1]);
          if (!typeName) continue;
          const schema = name === "enum" ? schemas.get(strip(callee!.object)!.name)! : "public";
          const e: DeclaredEnum = {
            name: d.id.name,
            schema,
            type: typeName,
            values: values?.type === "ArrayExpression" ? values.elements.map(stringOf).filter((v: string | undefined): v is string => v !== undefined) : [],
            location: at(d.start),
          };
          enums.set(d.id.name, e);
          declared.enums.push(e);
          ddl.push({ sql: `CREATE TYPE ${schema === "public" ? quoteName(typeName) : `${quoteName(schema)}.${quoteName(typeName)}`} AS ENUM (${e.values.map((v) => `'${v.replace(/'/g, "''")}'`).join(", ")});`, location: e.location });
          declaresSomething = true;
        } else if (name === "pgTable" || (name === "table" && callee?.type === "MemberExpression" && schemas.has(strip(callee.object)?.name))) {
          const written = stringOf(init.arguments[0]);
          if (!written) continue;
          // `pgTable("auth.users", ...)` mirrors a table of another schema (Supabase's auth.users): read the
          // dotted name as schema and table, so messages name it auth.users, not public.auth.users.
          const dotted = name === "pgTable" ? /^([A-Za-z_][\w$]*)\.([A-Za-z_][\w$]*)$/.exec(written) : null;
          const tableName = dotted ? dotted[2] : written;
          const schema = dotted ? dotted[1] : name === "table" ? schemas.get(strip(callee!.object)!.name)! : "public";
          tables.set(d.id.name, { variable: d.id.name, schema, table: tableName, columns: [], extra: init.arguments[2] ?? null, columnsNode: init.arguments[1] ?? null, end: init.end, text, imports, file: path, at, location: at(d.start) });
          readColumns(tables.get(d.id.name)!, init.arguments[1], enums, problems);
          declaresSomething = true;
        } else if (name === "relations") {
          relationCalls.push({ node: init, file: path, at });
        }
      }
    }
    if (declaresSomething) declared.files.push(path);
  }

  const pieces = { tables: [] as DdlPiece[], indexes: [] as DdlPiece[], fks: [] as DdlPiece[] };
  for (const info of tables.values()) buildTable(info, tables, declared, pieces, hints, problems);
  ddl.push(...pieces.tables, ...pieces.indexes, ...pieces.fks);
  const pending: PendingRelation[] = [];
  for (const call of relationCalls) pending.push(...readRelations(call.node, call.at, tables, declared));
  // A many() whose table declares no foreign key back: the other side's one() with fields names the join,
  // whichever file or order declares it.
  for (const p of pending) resolvePending(p, declared);
  return { declared, ddl, hints, problems };
}

function readColumns(info: TableInfo, columnsArg: Node | undefined, enums: Map<string, DeclaredEnum>, problems: InputProblem[]): void {
  const object = strip(columnsArg)?.type === "ObjectExpression" ? strip(columnsArg) : returned(columnsArg);
  if (object?.type !== "ObjectExpression") {
    problems.push({ message: `Drizzle schema: the columns of ${info.variable} are not written as an object literal; table left out`, location: info.location });
    return;
  }
  for (const p of object.properties) {
    if (p.type !== "Property") continue;
    const key = p.key?.type === "Identifier" ? p.key.name : stringOf(p.key);
    if (!key) continue;
    const { base, calls } = unwind(p.value);
    if (!base) continue;
    const builder = calleeName(base);
    if (!builder) continue;
    const column: ColumnInfo = {
      key,
      column: stringOf(base.arguments[0]) ?? key,
      type: columnType(base, builder, enums),
      notNull: false,
      primaryKey: false,
      unique: undefined,
      location: info.at(p.start),
    };
    for (const call of calls) {
      if (call.name === "notNull") column.notNull = true;
      else if (call.name === "primaryKey") column.primaryKey = true;
      else if (call.name === "unique") column.unique = stringOf(call.args[0]) ?? null;
      else if (call.name === "array") column.type += "[]";
      else if (call.name === "references") {
        const options = call.args[1];
        column.references = {
          target: returned(call.args[0]) ?? call.args[0],
          onDelete: ACTIONS[stringOf(property(options, "onDelete")) ?? ""] ?? "no action",
          onUpdate: ACTIONS[stringOf(property(options, "onUpdate")) ?? ""] ?? "no action",
        };
      }
    }
    info.columns.push(column);
  }
}

/** `t.key` / `users.key` -> the table and column it names. */
function columnRef(node: Node | undefined, self: TableInfo, param: string | undefined, tables: Map<string, TableInfo>): { table: TableInfo; column: ColumnInfo } | null {
  const n = strip(node);
  if (n?.type !== "MemberExpression" || n.computed) return null;
  const object = strip(n.object);
  const owner = object?.type === "Identifier" ? (object.name === param || object.name === self.variable ? self : tables.get(object.name)) : undefined;
  if (!owner) return null;
  const column = owner.columns.find((c) => c.key === n.property.name);
  return column ? { table: owner, column } : null;
}

function tableRef(info: TableInfo): string {
  return info.schema === "public" ? quoteName(info.table) : `${quoteName(info.schema)}.${quoteName(info.table)}`;
}

/** A `sql` template, with column references written as quoted names; null when it holds anything else. */
function sqlTemplate(node: Node | undefined, self: TableInfo, param: string | undefined, tables: Map<string, TableInfo>): string | null {
  const n = strip(node);
  if (n?.type === "TaggedTemplateExpression" && strip(n.tag)?.name === "sql") {
    let text = "";
    n.quasi.quasis.forEach((q: Node, i: number) => {
      text += q.value.cooked ?? q.value.raw;
      const expression = n.quasi.expressions[i];
      if (!expression) return;
      const ref = columnRef(expression, self, param, tables);
      text += ref ? quoteName(ref.column.column) : "\u0000";
    });
    return text.includes("\u0000") ? null : text;
  }
  // drizzle-orm filter helpers drizzle-kit prints as SQL.
  if (n?.type === "CallExpression") {
    const name = calleeName(n);
    const ref = columnRef(n.arguments[0], self, param, tables);
    if (!ref) return null;
    const column = quoteName(ref.column.column);
    if (name === "isNull") return `${column} is null`;
    if (name === "isNotNull") return `${column} is not null`;
    const value = strip(n.arguments[1]);
    const literal = value?.type === "Literal" ? (typeof value.value === "string" ? `'${value.value.replace(/'/g, "''")}'` : String(value.value)) : null;
    const ops: Record<string, string> = { eq: "=", ne: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" };
    if (literal !== null && name && ops[name]) return `${column} ${ops[name]} ${literal}`;
  }
  return null;
}

function buildTable(info: TableInfo, tables: Map<string, TableInfo>, declared: DeclaredSchema, pieces: { tables: DdlPiece[]; indexes: DdlPiece[]; fks: DdlPiece[] }, hints: LocationHints, problems: InputProblem[]): void {
  const key = `${info.schema}.${info.table}`;
  const model: DeclaredModel = { name: info.variable, schema: info.schema, table: info.table, fields: [], relations: [], indexes: [], location: info.location };
  declared.models.push(model);
  hints.set(`table:${key}`, info.location);
  const defs: string[] = [];
  const constraints: string[] = [];
  for (const c of info.columns) {
    model.fields.push({ field: c.key, column: c.column, type: c.type, nullable: !c.notNull && !c.primaryKey, location: c.location });
    hints.set(`column:${key}.${c.column}`, c.location);
    defs.push(`${quoteName(c.column)} ${c.type}${c.primaryKey ? " PRIMARY KEY" : ""}${c.notNull || c.primaryKey ? " NOT NULL" : ""}`);
    if (c.primaryKey) {
      const name = `${info.table}_pkey`;
      hints.set(`index:${key}.${name}`, c.location);
      model.indexes.push({ name, columns: [c.column], kind: "primary", onField: true, location: c.location });
    }
    if (c.unique !== undefined) {
      const name = c.unique ?? `${info.table}_${c.column}_unique`;
      constraints.push(`CONSTRAINT ${quoteName(name)} UNIQUE (${quoteName(c.column)})`);
      hints.set(`index:${key}.${name}`, c.location);
      model.indexes.push({ name, columns: [c.column], kind: "unique", onField: true, location: c.location });
    }
    if (c.references) {
      const target = strip(c.references.target);
      const ref = columnRef(target, info, undefined, tables);
      if (!ref) {
        problems.push({ message: `Drizzle schema: ${info.variable}.${c.key} references a column that is not a declared table's column; foreign key left out`, location: c.location });
        continue;
      }
      addForeignKey(info, [c], ref.table, [ref.column], c.references.onDelete, c.references.onUpdate, undefined, c.location, model, pieces, hints);
    }
  }

  const extra = strip(info.extra ?? undefined);
  const param = extra?.params?.[0]?.type === "Identifier" ? extra.params[0].name : undefined;
  const body = returned(extra);
  const items: Node[] = body?.type === "ObjectExpression" ? body.properties.filter((p: Node) => p.type === "Property").map((p: Node) => p.value) : body?.type === "ArrayExpression" ? body.elements.filter(Boolean) : [];
  model.extraConfig = body?.type === "ArrayExpression" ? "array" : body?.type === "ObjectExpression" ? "object" : null;
  model.insertLine = items.length > 0 ? info.at(strip(items[items.length - 1])!.end).line + 1 : info.at(info.end).line;
  model.imports = info.imports;
  if (param) model.configParam = param;
  const columnsObject = strip(info.columnsNode ?? undefined);
  if (!info.extra && columnsObject?.type === "ObjectExpression") model.configSlot = lineSlot(info, columnsObject.end);
  if (body && (body.type === "ArrayExpression" || body.type === "ObjectExpression")) {
    // A new entry goes first, so it never depends on the last entry's trailing comma: before the first entry's
    // line when the bracket ends its own line, else inside the bracket's line.
    const open = info.at(body.start);
    const firstNode = body.type === "ObjectExpression" ? body.properties[0] : items[0];
    const first = firstNode ? info.at(strip(firstNode)!.start) : null;
    if (first && first.line > open.line) model.insertLine = first.line;
    else {
      model.inlineConfig = lineSlot(info, body.start + 1);
    }
  }
  for (const item of items) {
    const { base, calls } = unwind(item);
    if (!base) continue;
    const kind = calleeName(base);
    const location = info.at(strip(item)!.start);
    const refs = (args: Node[]) => args.map((a) => columnRef(a, info, param, tables)).filter((r): r is NonNullable<typeof r> => r !== null && r.table === info);
    if (kind === "index" || kind === "uniqueIndex") {
      let name = stringOf(base.arguments[0]);
      let method = "btree";
      let where: string | null = null;
      let keySource: Node[] = [];
      for (const call of calls) {
        if (call.name === "on" || call.name === "onOnly") keySource = call.args;
        else if (call.name === "using") {
          method = stringOf(call.args[0]) ?? "btree";
          keySource = call.args.slice(1);
        } else if (call.name === "where") where = sqlTemplate(call.args[0], info, param, tables);
      }
      const keys: string[] = [];
      const columnNames: string[] = [];
      for (const k of keySource) {
        const baseRef = columnRef(innermostObject(k), info, param, tables);
        if (baseRef) {
          const mods = methodsOnRef(k);
          keys.push(`${quoteName(baseRef.column.column)}${mods.op ? ` ${mods.op}` : ""}${mods.desc ? " DESC" : mods.asc ? " ASC" : ""}${mods.nulls ? ` NULLS ${mods.nulls}` : ""}`);
          columnNames.push(baseRef.column.column);
          continue;
        }
        const expression = sqlTemplate(k, info, param, tables);
        if (expression === null) {
          keys.length = 0;
          break;
        }
        // drizzle-kit writes the template as it is; a bare expression that is not a call needs parentheses.
        const bare = /^[A-Za-z_][\w.]*\s*\([\s\S]*\)$/.test(expression.trim()) || /^"[^"]+"(\s+[\w.]+)?$/.test(expression.trim());
        keys.push(bare ? expression.trim() : `(${expression})`);
        columnNames.push("expression");
      }
      if (keys.length === 0) {
        problems.push({ message: `Drizzle schema: an index of ${info.variable} names columns that could not be read; index left out`, location });
        continue;
      }
      name ??= `${info.table}_${columnNames.join("_")}_index`;
      const unique = kind === "uniqueIndex";
      pieces.indexes.push({
        sql: `CREATE ${unique ? "UNIQUE " : ""}INDEX ${quoteName(name)} ON ${tableRef(info)} USING ${method} (${keys.join(", ")})${where ? ` WHERE ${where}` : ""};`,
        location,
      });
      model.indexes.push({ name, columns: columnNames, kind: unique ? "unique" : "index", onField: false, location });
    } else if (kind === "primaryKey") {
      const options = strip(base.arguments[0]);
      const cols = options?.type === "ObjectExpression" ? refs(strip(property(options, "columns"))?.elements ?? []) : refs(base.arguments);
      if (cols.length === 0) continue;
      const name = stringOf(property(options, "name")) ?? `${info.table}_${cols.map((c) => c.column.column).join("_")}_pk`;
      constraints.push(`CONSTRAINT ${quoteName(name)} PRIMARY KEY (${cols.map((c) => quoteName(c.column.column)).join(", ")})`);
      hints.set(`index:${key}.${name}`, location);
      model.indexes.push({ name, columns: cols.map((c) => c.column.column), kind: "primary", onField: false, location });
    } else if (kind === "unique") {
      const on = calls.find((c) => c.name === "on");
      const cols = on ? refs(on.args) : [];
      if (cols.length === 0) continue;
      const name = stringOf(base.arguments[0]) ?? `${info.table}_${cols.map((c) => c.column.column).join("_")}_unique`;
      const nnd = calls.some((c) => c.name === "nullsNotDistinct");
      constraints.push(`CONSTRAINT ${quoteName(name)} UNIQUE${nnd ? " NULLS NOT DISTINCT" : ""} (${cols.map((c) => quoteName(c.column.column)).join(", ")})`);
      hints.set(`index:${key}.${name}`, location);
      model.indexes.push({ name, columns: cols.map((c) => c.column.column), kind: "unique", onField: false, location });
    } else if (kind === "foreignKey") {
      const options = strip(base.arguments[0]);
      const cols = refs(strip(property(options, "columns"))?.elements ?? []);
      const foreign = (strip(property(options, "foreignColumns"))?.elements ?? []).map((a: Node) => columnRef(a, info, param, tables)).filter(Boolean) as Array<{ table: TableInfo; column: ColumnInfo }>;
      if (cols.length === 0 || foreign.length !== cols.length) continue;
      const onDelete = ACTIONS[stringOf(calls.find((c) => c.name === "onDelete")?.args[0]) ?? ""] ?? "no action";
      const onUpdate = ACTIONS[stringOf(calls.find((c) => c.name === "onUpdate")?.args[0]) ?? ""] ?? "no action";
      addForeignKey(info, cols.map((c) => c.column), foreign[0].table, foreign.map((f) => f.column), onDelete, onUpdate, stringOf(property(options, "name")), location, model, pieces, hints);
    }
  }
  pieces.tables.push({ sql: `CREATE TABLE ${tableRef(info)} (${[...defs, ...constraints].join(", ")});`, location: info.location });
}

/** The column reference under `t.a.desc().nullsLast()`. */
function innermostObject(node: Node): Node | undefined {
  let n = strip(node);
  while (n?.type === "CallExpression" && strip(n.callee)?.type === "MemberExpression") n = strip(strip(n.callee)!.object);
  return n;
}

function methodsOnRef(node: Node): { desc: boolean; asc: boolean; nulls?: "FIRST" | "LAST"; op?: string } {
  const out: { desc: boolean; asc: boolean; nulls?: "FIRST" | "LAST"; op?: string } = { desc: false, asc: false };
  let n = strip(node);
  while (n?.type === "CallExpression" && strip(n.callee)?.type === "MemberExpression") {
    const name = strip(n.callee)!.property.name;
    if (name === "desc") out.desc = true;
    else if (name === "asc") out.asc = true;
    else if (name === "nullsFirst") out.nulls = "FIRST";
    else if (name === "nullsLast") out.nulls = "LAST";
    else if (name === "op") out.op = stringOf(n.arguments[0]);
    n = strip(strip(n.callee)!.object);
  }
  return out;
}

function addForeignKey(
  info: TableInfo,
  columns: ColumnInfo[],
  target: TableInfo,
  targetColumns: ColumnInfo[],
  onDelete: FkAction,
  onUpdate: FkAction,
  explicitName: string | undefined,
  location: Location,
  model: DeclaredModel,
  pieces: { fks: DdlPiece[] },
  hints: LocationHints,
): void {
  const names = columns.map((c) => c.column);
  const targetNames = targetColumns.map((c) => c.column);
  const name = explicitName ?? `${info.table}_${names.join("_")}_${target.table}_${targetNames.join("_")}_fk`;
  pieces.fks.push({
    sql: `ALTER TABLE ${tableRef(info)} ADD CONSTRAINT ${quoteName(name)} FOREIGN KEY (${names.map(quoteName).join(", ")}) REFERENCES ${tableRef(target)}(${targetNames.map(quoteName).join(", ")}) ON DELETE ${onDelete} ON UPDATE ${onUpdate};`,
    location,
  });
  hints.set(`index:${info.schema}.${info.table}.${name}`, location);
  model.relations.push({
    field: columns.length === 1 ? columns[0].key : columns.map((c) => c.key).join(","),
    target: target.variable,
    from: { columns: names, fields: columns.map((c) => c.key) },
    to: { schema: target.schema, table: target.table, columns: targetNames, fields: targetColumns.map((c) => c.key) },
    holdsForeignKey: true,
    list: false,
    onDelete,
    onUpdate,
    applicationOnly: false,
    location,
  });
}

/**
 * `relations(posts, ({ one, many }) => ({ author: one(users, { fields: [posts.authorId], references: [users.id] }),
 * comments: many(comments) }))`: the names `db.query` uses for `with`. A `many()` takes its columns from the
 * `one()` on the other side that points back.
 */
function readRelations(call: Node, at: (o: number) => Location, tables: Map<string, TableInfo>, declared: DeclaredSchema): PendingRelation[] {
  const pending: PendingRelation[] = [];
  const owner = tables.get(strip(call.arguments[0])?.name);
  if (!owner) return pending;
  const model = declared.models.find((m) => m.name === owner.variable);
  const body = returned(call.arguments[1]);
  if (!model || body?.type !== "ObjectExpression") return pending;
  for (const p of body.properties) {
    if (p.type !== "Property") continue;
    const field = p.key?.type === "Identifier" ? p.key.name : stringOf(p.key);
    const value = strip(p.value);
    if (!field || value?.type !== "CallExpression") continue;
    const kind = calleeName(value);
    const target = tables.get(strip(value.arguments[0])?.name);
    if (!target || (kind !== "one" && kind !== "many")) continue;
    const options = value.arguments[1];
    const fields = (strip(property(options, "fields"))?.elements ?? []).map((a: Node) => columnRef(a, owner, undefined, tables)).filter(Boolean) as Array<{ table: TableInfo; column: ColumnInfo }>;
    const references = (strip(property(options, "references"))?.elements ?? []).map((a: Node) => columnRef(a, owner, undefined, tables)).filter(Boolean) as Array<{ table: TableInfo; column: ColumnInfo }>;
    const relationName = stringOf(property(options, "relationName"));
    const location = at(p.start);
    if (fields.length > 0 && references.length === fields.length) {
      model.relations.push({
        field,
        target: target.variable,
        from: { columns: fields.map((f) => f.column.column), fields: fields.map((f) => f.column.key) },
        to: { schema: target.schema, table: target.table, columns: references.map((r) => r.column.column), fields: references.map((r) => r.column.key) },
        holdsForeignKey: true,
        list: false,
        ...(relationName ? { name: relationName } : {}),
        applicationOnly: false,
        location,
      });
      continue;
    }
    // The other side's one() with fields names the join; else the other table's foreign key to this one.
    const fk = target.columns.filter((c) => {
      const ref = c.references ? columnRef(strip(c.references.target), target, undefined, tables) : null;
      return ref?.table === owner;
    });
    if (fk.length !== 1) {
      pending.push({ model, field, target, list: kind === "many", ...(relationName ? { name: relationName } : {}), location });
      continue;
    }
    const referenced = columnRef(strip(fk[0].references!.target), target, undefined, tables)!;
    model.relations.push({
      field,
      target: target.variable,
      from: { columns: [referenced.column.column], fields: [referenced.column.key] },
      to: { schema: target.schema, table: target.table, columns: [fk[0].column], fields: [fk[0].key] },
      holdsForeignKey: false,
      list: kind === "many",
      ...(relationName ? { name: relationName } : {}),
      applicationOnly: false,
      location,
    });
  }
  return pending;
}

/** A relation of `relations()` whose columns the other side's `one()` gives. */
interface PendingRelation {
  model: DeclaredModel;
  field: string;
  target: TableInfo;
  list: boolean;
  name?: string;
  location: Location;
}

function resolvePending(p: PendingRelation, declared: DeclaredSchema): void {
  const other = declared.models.find((m) => m.name === p.target.variable);
  const back = (other?.relations ?? []).filter(
    (r) => r.holdsForeignKey && r.target === p.model.name && !r.field.includes(",") && (p.name === undefined || r.name === p.name),
  );
  // Several keys back (a `.references()` and a `one()` over the same columns count once).
  const distinct = [...new Map(back.map((r) => [r.from.columns.join(","), r])).values()];
  if (distinct.length !== 1) return;
  const r = distinct[0];
  p.model.relations.push({
    field: p.field,
    target: p.target.variable,
    from: { columns: [...r.to.columns], fields: [...r.to.fields] },
    to: { schema: p.target.schema, table: p.target.table, columns: [...r.from.columns], fields: [...r.from.fields] },
    holdsForeignKey: false,
    list: p.list,
    ...(p.name ? { name: p.name } : {}),
    applicationOnly: false,
    location: p.location,
  });
}

/** The line holding `offset`, its text, and the offset's column in it (0-based): where a fix inserts text. */
function lineSlot(info: TableInfo, offset: number): { line: number; text: string; column: number } {
  const lineStart = info.text.lastIndexOf("\n", offset - 1) + 1;
  const lineEnd = info.text.indexOf("\n", offset);
  return { line: info.at(offset).line, text: info.text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).replace(/\r$/, ""), column: offset - lineStart };
}
