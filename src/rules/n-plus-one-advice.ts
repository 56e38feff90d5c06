// What n-plus-one advises instead of a query per item, in the client's own terms (Prisma
// `{ in: ids }` / `createMany`, Drizzle `inArray`, Kysely `.where(col, "in", ids)`, supabase-js `.in()`)
// with the SQL form beside it. The key is the column compared with a value that changes per item.
// Sources: Prisma Client API reference (`in`, `updateMany`, `createMany` with `skipDuplicates`, `$executeRaw`), Drizzle
// "Filters" and "Select" (`inArray`, `selectDistinctOn`), Kysely `where`/`distinctOn`, PostgreSQL
// "SELECT" (DISTINCT ON) and "UPDATE" (FROM).
import type { AccessPattern, Index, Table } from "../core/types.js";
import { quoteIdent } from "./sql-text.js";

/** The per-item key: the SQL column, its name as the code writes it, and the compared expression as written. */
export interface LoopKey {
  sql: string;
  code: string;
  term: string;
  /** Compared with a value that changes per item, as the walker saw it (false: a guess from the predicates). */
  varying?: boolean;
}

/** A name as PostgreSQL needs it written: quoted unless it is lower case already and no reserved word (`"primary"`). */
export function sqlName(name: string): string {
  return quoteIdent(name);
}

const squash = (name: string) => name.replace(/_/g, "").toLowerCase();

/**
 * The columns a batched query would key on: those compared with a value that changes per iteration,
 * as SQL names. A column compared with a constant (`type: "DOCUMENT"`) is the same for every item, never
 * the key. The code's names (`inboxId`) are matched to the SQL columns (`inbox_id`) ignoring case and `_`.
 */
export function loopKeys(pattern: AccessPattern): LoopKey[] {
  // Equality first: an IN list beside it is usually a fixed set of states, not the per-item key.
  const keyed = (op: string) => pattern.predicates.filter((p) => p.op === op && p.sentAs === "param" && p.column && p.value === undefined).map((p) => p.column!);
  const all = [...new Set([...keyed("eq"), ...keyed("in")])];
  const varying = pattern.loopUse?.keyColumns ?? [];
  const terms = pattern.loopUse?.keyTerms ?? [];
  const keys: LoopKey[] = [];
  for (const column of all) {
    const i = varying.findIndex((v) => squash(v) === squash(column));
    if (i >= 0) keys.push({ sql: column, code: varying[i], term: terms.find((t) => squash(t.split(".").pop()!) === squash(column)) ?? varying[i], varying: true });
  }
  if (keys.length > 0 || varying.length === 0) return keys.length > 0 ? keys : all.map((c) => ({ sql: c, code: c, term: c }));
  return all.map((c) => ({ sql: c, code: c, term: c }));
}

/**
 * The loop query's conditions besides the per-item keys, which the batched query keeps: an equality is
 * written out (`AND team_id = $2`, `AND status = 'open'`), anything else stands as `AND ...`. `names` lists
 * the columns for the sentence that says so. `first` is the number of the first free parameter.
 */
function otherFilters(pattern: AccessPattern, keyColumns: string[], first = 2): { sql: string; names: string[]; keeping: string } {
  const isKey = (c: string | undefined) => c !== undefined && keyColumns.some((k) => squash(k) === squash(c));
  const others = pattern.predicates.filter((p) => !isKey(p.column));
  const plain = others.filter((p) => p.op === "eq" && p.column && !p.conditional && (p.value !== undefined || p.sentAs === "param"));
  let n = first;
  const sql = plain.map((p) => ` AND ${sqlName(p.column!)} = ${p.value ?? `$${n++}`}`).join("") + (others.length > plain.length || pattern.hasOr ? " AND ..." : "");
  const names = [...new Set(others.map((p) => p.column ?? p.expression).filter((c): c is string => !!c))].map(sqlName);
  const keeping = names.length > 0 ? `, keeping the query's other conditions (${names.join(", ")})` : pattern.hasOr ? ", keeping the query's other conditions" : "";
  return { sql, names, keeping };
}

function inSql(key: string, filters = ""): string {
  return `\`WHERE ${sqlName(key)} = ANY($1)${filters}\``;
}

/** Several rows per key, of which the query keeps the first in its order: `findFirst` with `orderBy`, `ORDER BY ... LIMIT 1`. */
function firstPerKey(pattern: AccessPattern, key: LoopKey): string | undefined {
  if (pattern.kind !== "select" || !pattern.limited || pattern.orderBy.length === 0) return undefined;
  const order = pattern.orderBy.filter((o) => o.column && o.column !== key.sql);
  if (order.length === 0) return undefined;
  const by = order.map((o) => `${sqlName(o.column!)}${o.descending ? " DESC" : ""}`).join(", ");
  // Every other filter of the loop's query stays: the same value for every item, or `...` for what is not an equality.
  const { sql: filters, keeping, names } = otherFilters(pattern, [key.sql]);
  const others = names;
  const sql = `\`SELECT DISTINCT ON (${sqlName(key.sql)}) ... WHERE ${sqlName(key.sql)} = ANY($1)${filters} ORDER BY ${sqlName(key.sql)}, ${by}\` (or a \`LATERAL\` join over the keys with \`LIMIT 1\`)`;
  const intro = "a plain `= ANY` would return every row of each key, not the first one: keep one row per key with";
  switch (pattern.source) {
    case "drizzle":
      return `${intro} \`db.selectDistinctOn([${key.term}])...where(${others.length > 0 ? `and(inArray(${key.term}, keys), ...)` : `inArray(${key.term}, keys)`}).orderBy(${key.term}, ...)\`${keeping}, which sends ${sql}`;
    case "kysely":
      return `${intro} \`.distinctOn("${key.code}").where("${key.code}", "in", keys).orderBy("${key.code}")\` then the existing order${keeping}, which sends ${sql}`;
    case "prisma":
      return `${intro} one \`$queryRaw\` running ${sql}${keeping}`;
    case "supabase-js":
      return `${intro} one database function (\`.rpc()\`) that runs ${sql}${keeping}`;
    default:
      return `${intro} ${sql}${keeping}`;
  }
}

/**
 * The conflict target of a batched upsert: the primary key or a full unique index whose columns the
 * upsert's `where` all names (ON CONFLICT needs a unique index on exactly those columns), or else the
 * compared columns as written.
 */
export function conflictTarget(pattern: AccessPattern, table: Table | undefined, keys: LoopKey[]): string {
  return conflictColumns(pattern, table, keys).map(sqlName).join(", ");
}

function conflictColumns(pattern: AccessPattern, table: Table | undefined, keys: LoopKey[]): string[] {
  const named = new Set(pattern.predicates.filter((p) => p.op === "eq" && p.column).map((p) => p.column!));
  const uniques = [
    ...(table?.primaryKey ? [table.primaryKey.columns] : []),
    ...(table?.indexes ?? []).filter((i) => i.unique && !i.where && i.keys.every((k) => k.column)).map((i) => i.keys.map((k) => k.column!)),
  ];
  return uniques.find((cols) => cols.length > 0 && cols.every((c) => named.has(c))) ?? (keys.length > 0 ? keys.map((k) => k.sql) : ["key"]);
}

/**
 * The conflict clause that does what the per-row upsert did (PostgreSQL "INSERT", ON CONFLICT):
 * - an upsert that keeps an existing row unchanged (Prisma `update: {}`) is `DO NOTHING`; when the loop
 *   uses the returned rows, `DO NOTHING` returns only the inserted ones, so the clause is a no-op
 *   `DO UPDATE SET key = EXCLUDED.key ... RETURNING *`, which returns every row and changes no value;
 * - an upsert whose `where` also filters on columns outside the conflict target updates only rows that
 *   match them: `DO UPDATE ... WHERE t.col = EXCLUDED.col`;
 * - a used result needs `RETURNING *`.
 */
function conflictClause(pattern: AccessPattern, table: Table | undefined, keys: LoopKey[]): { sql: string; returns: boolean } {
  const target = conflictColumns(pattern, table, keys);
  const cols = target.map(sqlName).join(", ");
  const used = pattern.loopUse?.resultUsed === true;
  if (pattern.loopUse?.keepsExisting) {
    if (!used) return { sql: `ON CONFLICT (${cols}) DO NOTHING`, returns: false };
    const key = sqlName(target[0]);
    return { sql: `ON CONFLICT (${cols}) DO UPDATE SET ${key} = EXCLUDED.${key} RETURNING *`, returns: true };
  }
  const extra = pattern.predicates.filter((p) => p.op === "eq" && p.column && !target.includes(p.column) && !p.conditional).map((p) => p.column!);
  const name = sqlName(pattern.table);
  const guard = extra.length > 0 ? ` WHERE ${extra.map((c) => `${name}.${sqlName(c)} = EXCLUDED.${sqlName(c)}`).join(" AND ")}` : "";
  return { sql: `ON CONFLICT (${cols}) DO UPDATE SET col = EXCLUDED.col${guard}${used ? " RETURNING *" : ""}`, returns: used };
}

/**
 * A Prisma `upsert` per item, batched in the client (Prisma Client API reference: `updateMany`, `createMany`
 * with `skipDuplicates`, which sends `INSERT ... ON CONFLICT DO NOTHING`). Not a raw `INSERT`: Prisma fills
 * the values it generates itself (`@default(cuid())`, `@default(uuid())`, `@updatedAt`), which have no
 * database default, so a raw INSERT that leaves them out fails on NOT NULL; and a raw `DO UPDATE SET` must
 * set exactly the fields of the `update` object, never the whole row.
 * - `update: {}` keeps existing rows: `createMany({ skipDuplicates: true })` alone;
 * - an `update` object whose values are the same for every item: `updateMany` first, with that object as
 *   `data`, so it sets only those fields on the rows that exist; then `createMany({ skipDuplicates: true })`
 *   for the rest. In that order, rows just created keep their `create` values;
 * - values that change per item: one `UPDATE ... FROM (VALUES ...)` setting only the `update` fields, then
 *   the same `createMany`;
 * - a result the loop uses: one `findMany` over the keys after both (`createManyAndReturn` returns only the
 *   rows it inserted).
 */
function prismaUpsertAdvice(pattern: AccessPattern, keys: LoopKey[], table?: Table): string {
  if (pattern.loopUse?.sentinelKey) return splitUpsertAdvice(pattern, pattern.loopUse.sentinelKey, table);
  const pair = keys.filter((k) => k.varying);
  // No key the reader could name (a compound unique named in the schema, `where: { name_of_key: {...} }`): `key` stands for its columns.
  const key = keys[0] ?? { sql: "key", code: "key", term: "key" };
  const other = otherFilters(pattern, pair.length >= 2 ? pair.map((p) => p.sql) : [key.sql]);
  const where =
    pair.length >= 2
      ? `{ OR: items.map((i) => ({ ${pair.map((p) => `${p.code}: i.${p.code}`).join(", ")} }))${other.names.length > 0 ? ", ..." : ""} }`
      : `{ ${key.code}: { in: keys }${other.names.length > 0 ? ", ..." : ""} }`;
  const create = "one `createMany({ data: rows, skipDuplicates: true })`, which sends `INSERT ... ON CONFLICT DO NOTHING`";
  const fills = "both calls let Prisma fill the values a model generates in the client (`@default(cuid())`, `@updatedAt`), which a raw `INSERT` would have to supply";
  const used = pattern.loopUse?.resultUsed === true;
  const read = used ? `, then one \`findMany({ where: ${where} })\` for the rows the loop uses, new or existing (\`createManyAndReturn\` returns only the rows it inserted)` : "";
  if (pattern.loopUse?.keepsExisting) {
    return `collect the rows and write them with ${create} and keeps an existing row as it is, as \`update: {}\` does${read}; ${fills}`;
  }
  const update = pattern.loopUse?.upsertUpdate;
  const fields = update?.fields ?? [];
  const sets = fields.length > 0 ? `only ${fields.join(", ")}` : "only the `update` object's fields";
  const order = "in that order, so the rows just created keep their `create` values" + (keys.length === 0 ? " (`key`: the columns of the unique key the upsert's `where` names)" : "");
  if (update?.perRow) {
    const column = (field: string) => sqlName(table?.columns.find((c) => squash(c.name) === squash(field))?.name ?? field);
    const names = pair.length >= 2 ? pair.map((p) => sqlName(p.sql)) : [sqlName(key.sql)];
    const cols = fields.map((field, i) => (update.columns?.[i] !== undefined ? sqlName(update.columns[i]) : column(field)));
    const sql =
      `\`UPDATE ${sqlName(pattern.table)} AS t SET ${cols.map((c) => `${c} = v.${c}`).join(", ")} FROM (VALUES ...) AS v(${[...names, ...cols].join(", ")}) ` +
      `WHERE ${names.map((n) => `t.${n} = v.${n}`).join(" AND ")}${other.names.length > 0 ? " AND ..." : ""}\``;
    return (
      `collect the rows: each item updates its own values, so \`updateMany\` cannot batch the \`update\` part. Send one ${sql} with \`$executeRaw\`, ` +
      `which sets ${sets} on the rows that exist (as \`update\` does${other.keeping}), then ${create} for the rest; ${order}${read}; ${fills}`
    );
  }
  return (
    `collect the rows and write them in two calls: one \`updateMany({ where: ${where}, data })\` with the \`update\` object as \`data\`, which sets ${sets} ` +
    `on the rows that exist${other.keeping}, then ${create} for the rest; ${order}${read}; ${fills}`
  );
}

/**
 * A Prisma `upsert` per item whose `where` gives the key as `x ?? <constant>` (`id: item.saved?.id ?? -1`): an
 * item without the value never matches a row, so it is always created, and the code knows which items exist
 * before it writes. Split by that: one update of the items that have a key (an `UPDATE ... FROM (VALUES ...)`
 * when the values change per item, else `updateMany`), one `createManyAndReturn` (or `createMany`) of the
 * others. Not `createMany({ skipDuplicates: true })` for all: a new row gets a fresh generated key, so it never
 * conflicts, and an existing item sent to it would be inserted twice (Prisma Client API reference:
 * `createMany`, `createManyAndReturn`, which take no nested writes such as `connect`).
 */
function splitUpsertAdvice(pattern: AccessPattern, sentinel: { field: string; sentinel: string }, table?: Table): string {
  const use = pattern.loopUse!;
  const used = use.resultUsed === true;
  const keyColumn = columnOf(table, sentinel.field);
  const key = sqlName(keyColumn);
  // Other columns the `where` compares with a per-item value join on the VALUES row too.
  const joined = [keyColumn, ...loopKeys(pattern).filter((k) => k.varying && squash(k.sql) !== squash(keyColumn)).map((k) => k.sql)];
  const others = otherFilters(pattern, joined);
  const update = use.upsertUpdate;
  let existing: string;
  if (update && update.perRow && update.fields.length > 0) {
    const cols = update.fields.map((field, i) => columnOf(table, update.columns?.[i] ?? field));
    const sets = cols.map((c) => {
      const type = table?.columns.find((col) => col.name === c)?.type;
      return `${sqlName(c)} = v.${sqlName(c)}${type ? `::${type}` : ""}`;
    });
    existing =
      `one \`UPDATE ${sqlName(pattern.table)} AS t SET ${sets.join(", ")} FROM (VALUES ...) AS v(${[...joined.map(sqlName), ...cols.map(sqlName)].join(", ")}) WHERE ${joined.map((c) => `t.${sqlName(c)} = v.${sqlName(c)}`).join(" AND ")}${others.names.length > 0 ? " AND ..." : ""}${used ? " RETURNING t.*" : ""}\`` +
      ` with \`${used ? "$queryRaw" : "$executeRaw"}\`, which sets only the \`update\` fields${others.keeping}`;
  } else {
    existing = `one \`${used ? "updateManyAndReturn" : "updateMany"}({ where: { ${sentinel.field}: { in: ids }${others.names.length > 0 ? ", ..." : ""} }, data })\` with the \`update\` object as \`data\`${others.keeping}`;
  }
  const create = used ? "one `createManyAndReturn({ data: rows })`" : "one `createMany({ data: rows })`";
  return (
    `the upsert's \`where\` gives \`${sentinel.field}\` as \`... ?? ${sentinel.sentinel}\`, which no row holds: an item without \`${sentinel.field}\` is always a new row, and the code knows which items those are before it writes. ` +
    `Split the items by that: for those with \`${sentinel.field}\`, ${existing}; for the others, ${create} with the \`create\` values, relations set through their foreign-key fields (\`createMany\` takes no nested \`connect\`). ` +
    "Not `createMany({ skipDuplicates: true })` over all the items: a new row gets a fresh generated key, so there is no conflict to skip, and an existing item sent to it is inserted a second time"
  );
}

/** What to do instead of one query per item, as a clause (`collect the keys and ...`). */
export function batchAdvice(pattern: AccessPattern, keys: LoopKey[], table?: Table): string {
  const key = keys[0] ?? { sql: "id", code: "id", term: "id" };
  const src = pattern.source;
  if (pattern.kind === "upsert" && src === "prisma") return prismaUpsertAdvice(pattern, keys, table);
  if (pattern.kind === "upsert") {
    // One statement resolves every conflict; a plain multi-row INSERT would fail on the existing rows.
    const clause = conflictClause(pattern, table, keys);
    const sql = `\`INSERT ... VALUES (...), (...) ${clause.sql}\` over all the rows`;
    const keep = pattern.loopUse?.keepsExisting ? ", which keeps an existing row as it is, as `update: {}` does" : "";
    const returned = clause.returns ? ", and map the returned rows back to the items" : "";
    const bulk =
      src === "supabase-js"
        ? `one \`.upsert([...rows])\`${clause.returns ? ".select()" : ""} call`
        : src === "drizzle"
          ? `one \`.insert(table).values([...rows]).onConflictDoUpdate({ target, set })${clause.returns ? ".returning()" : ""}\` with each column set from \`excluded\` (${sql})`
          : src === "kysely"
            ? `one \`.insertInto(table).values([...rows]).onConflict((oc) => oc.column(key).doUpdateSet(...))${clause.returns ? ".returningAll()" : ""}\` (${sql})`
            : `one ${sql}${keep}`;
    return `collect the rows and write them in ${bulk}${returned}`;
  }
  if (pattern.kind === "insert") {
    const sql = "one multi-row `INSERT ... VALUES` (or `INSERT ... SELECT FROM unnest($1::...[])`)";
    switch (src) {
      case "supabase-js":
        return "collect the rows and send them in one `.insert([...rows])` call";
      case "prisma":
        // createMany takes no nested writes (Prisma Client API reference, createMany "Remarks").
        if (pattern.loopUse?.nestedWrites) return "collect the rows: `createMany` takes no nested writes, so create these rows with one `createManyAndReturn` and the related rows with one `createMany` per relation, keyed by the returned ids: a fixed number of round trips instead of one create per item";
        return `collect the rows and write them with one \`createMany({ data: rows })\` (\`createManyAndReturn\` when the created rows are needed), ${sql}`;
      case "drizzle":
        return `collect the rows and write them with one \`.insert(table).values(rows)\`, ${sql}`;
      case "kysely":
        return `collect the rows and write them with one \`.insertInto(table).values(rows)\`, ${sql}`;
      default:
        return `collect the rows and write them in ${sql}`;
    }
  }
  const first = firstPerKey(pattern, key);
  if (first) return `collect the keys; ${first}`;
  const k = sqlName(key.sql);
  if (pattern.kind === "select" && pattern.loopUse?.aggregate) {
    const other = otherFilters(pattern, [key.sql]);
    const group = `\`SELECT ${k}, count(*) ... WHERE ${k} = ANY($1)${other.sql} GROUP BY ${k}\`${other.keeping} (a key with no row has no group: count 0)`;
    if (src === "prisma") return `collect the keys and count them in one \`groupBy({ by: ["${key.code}"], where: { ${key.code}: { in: ids }${other.names.length > 0 ? ", ..." : ""} }, _count: true })\`, which sends ${group}`;
    if (src === "drizzle") return `collect the keys and count them in one \`.select({ key: ${key.term}, n: count() })...where(${other.names.length > 0 ? `and(inArray(${key.term}, ids), ...)` : `inArray(${key.term}, ids)`}).groupBy(${key.term})\`, which sends ${group}`;
    return `collect the keys and count them in one query, ${group}`;
  }
  const pair = keys.filter((k) => k.varying);
  if ((pattern.kind === "select" || pattern.kind === "delete") && pair.length >= 2) {
    const cols = pair.map((p) => sqlName(p.sql)).join(", ");
    const other = otherFilters(pattern, pair.map((p) => p.sql), pair.length + 1);
    const sql = `\`WHERE (${cols}) IN (SELECT * FROM unnest(${pair.map((_, i) => `$${i + 1}::...[]`).join(", ")}))${other.sql}\`${other.keeping}`;
    const prisma = src === "prisma" ? ` (Prisma: \`where: { OR: items.map((i) => ({ ${pair.map((p) => `${p.code}: i.${p.code}`).join(", ")} })) }\`)` : "";
    return `collect the (${pair.map((p) => p.code).join(", ")}) pairs of the items and run one query with ${sql}${prisma}: each item is matched on all of them, not on one alone`;
  }
  const other = otherFilters(pattern, [key.sql]);
  const sql = inSql(key.sql, other.sql);
  const rest = other.names.length > 0 ? ", ..." : "";
  const keeping = other.keeping;
  const verb = pattern.kind === "update" ? { prisma: "updateMany", drizzle: "update(table).set(...)", kysely: "updateTable(table).set(...)" } : pattern.kind === "delete" ? { prisma: "deleteMany", drizzle: "delete(table)", kysely: "deleteFrom(table)" } : { prisma: "findMany", drizzle: "select()...", kysely: "selectFrom(table)" };
  const same = pattern.kind === "update" ? " (the written values are the same for every row)" : "";
  switch (src) {
    case "supabase-js":
      return `collect the keys and run one query with \`.in("${key.code}", ids)\`${same}${keeping}`;
    case "prisma":
      return `collect the keys and run one \`${verb.prisma}({ where: { ${key.code}: { in: ids }${rest} } })\`${same}${keeping}, which sends ${sql}`;
    case "drizzle":
      return `collect the keys and run one \`.${verb.drizzle}.where(${rest ? `and(inArray(${key.term}, ids), ...)` : `inArray(${key.term}, ids)`})\`${same}${keeping}, which sends ${sql}`;
    case "kysely":
      return `collect the keys and run one \`.${verb.kysely}.where("${key.code}", "in", ids)\`${same}${keeping}, which sends ${sql}`;
    default:
      return `collect the keys and run one query with ${sql}${same}${keeping}`;
  }
}

/** An UPDATE that writes a different value per row: one statement joins the new values on the per-item key. */
export function perRowUpdateAdvice(pattern: AccessPattern, keys: LoopKey[], table?: Table): string | undefined {
  const key = keys[0];
  if (!key) return undefined;
  // Every column compared with the item joins the new values: `(itemId, itemType)`, not `itemId` alone.
  const joined = keys.filter((k) => k.varying).length > 1 ? keys.filter((k) => k.varying) : [key];
  const names = joined.map((k) => sqlName(k.sql));
  const on = names.map((k) => `t.${k} = v.${k}`).join(" AND ");
  const others = pattern.predicates.some((p) => p.column && !joined.some((k) => k.sql === p.column) && p.op === "eq");
  const use = pattern.loopUse;
  // The loop reads the result: the batched UPDATE returns the keys it matched (`updateResult.count`), or the
  // whole rows when the call returned the updated row (Prisma `update`) and the loop uses it.
  const used = use?.resultUsed === true;
  const rows = used && use?.returnsRow === true;
  const returned = !used
    ? ""
    : rows
      ? ", which returns the updated rows the loop uses (an id with no row is skipped where `update` would throw: compare the returned ids with the items)"
      : `, with \`RETURNING ${names.map((n) => `t.${n}`).join(", ")}\` so the code learns which items matched`;
  const omitted = partialSet(use, joined, table);
  const set = omitted?.set ?? "col = v.col";
  const cols = omitted?.cols ?? ["col"];
  const sql =
    `\`UPDATE ${sqlName(pattern.table)} AS t SET ${set} FROM (VALUES ...) AS v(${[...names, ...cols].join(", ")}) WHERE ${on}${others ? " AND ..." : ""}${rows ? " RETURNING t.*" : ""}\`` +
    (omitted ? "" : ` (or \`FROM unnest(${names.map((_, i) => `$${i + 1}::...[]`).join(", ")}, $${names.length + 1}::...[]) AS v(${names.join(", ")}, col)\`)`);
  const keep = (others ? ", keeping the query's other conditions" : "") + returned + (omitted?.why ?? "");
  switch (pattern.source) {
    case "supabase-js":
      return `each row gets its own values, so \`.in()\` cannot batch it: send the rows to one database function (\`.rpc()\`) that runs ${sql}${keep}`;
    case "prisma":
      return `each row gets its own values, so \`updateMany\` cannot batch it: send one ${sql} with \`${used ? "$queryRaw" : "$executeRaw"}\`${keep}`;
    case "drizzle":
      return `each row gets its own values, so \`inArray\` cannot batch it: send one ${sql} with \`db.execute(sql\\\`...\\\`)\`${keep}`;
    case "kysely":
      return `each row gets its own values, so \`"in"\` cannot batch it: send one ${sql} with Kysely's \`sql\` template${keep}`;
    default:
      return `each row gets its own values, so \`= ANY\` cannot batch it: write them in one statement, ${sql}${keep}`;
  }
}

/**
 * The SET list of a batched UPDATE whose object may leave fields out (LoopUse.omittable): Prisma Client
 * leaves a field whose value is `undefined` unchanged ("Null and undefined"), while a VALUES row can only
 * hold NULL there, which `SET col = v.col` would write (23502 on a NOT NULL column, a wiped value on a
 * nullable one). Such a field keeps its value with `COALESCE(v.col, t.col)`. Each `v` column is cast to the
 * column's type: a VALUES list of parameters or NULLs is typed text or unknown, which an enum, jsonb or
 * numeric column does not take (PostgreSQL "UPDATE", FROM; "VALUES": column types). Undefined when
 * nothing is left out or the written fields are unknown.
 */
function partialSet(use: AccessPattern["loopUse"], keys: LoopKey[], table?: Table): { set: string; cols: string[]; why: string } | undefined {
  const omittable = use?.omittable ?? [];
  const writes = use?.writes ?? [];
  // A written column that is also matched on (`where: { status: run.status }, data: { status: FAILED }`) needs
  // two VALUES columns, old and new: left to the general form.
  const matched = (w: string) => keys.some((k) => squash(k.code) === squash(w) || squash(k.sql) === squash(w));
  if (omittable.length === 0 || writes.length === 0 || writes.some(matched) || (use?.shifts?.length ?? 0) > 0) return undefined;
  const cols: string[] = [];
  const sets: string[] = [];
  const left: string[] = [];
  for (const field of writes) {
    const name = columnOf(table, field);
    const col = sqlName(name);
    if (cols.includes(col)) continue;
    const type = table?.columns.find((c) => c.name === name)?.type;
    const value = `v.${col}${type ? `::${type}` : ""}`;
    cols.push(col);
    if (omittable.includes(field)) {
      sets.push(`${col} = COALESCE(${value}, t.${col})`);
      left.push(`\`${field}\``);
    } else sets.push(`${col} = ${value}`);
  }
  const why =
    `; ${left.join(", ")} may be undefined on some items, which the loop's update leaves unchanged and a VALUES row can only hold as NULL, ` +
    "so `COALESCE` keeps the row's value there (an item that sets such a field to NULL on purpose needs its own statement)" +
    (table ? "; each `v` column is cast to its column's type, which a VALUES list of parameters does not carry" : "");
  return { set: sets.join(", "), cols, why };
}

/**
 * A write that runs only when a query earlier in the same iteration found rows (`if (row) update`) or
 * found none (`if (result.count === 0) create`): batched, it applies to the items that query's batched
 * form returned, or to the items it did not return. `advice` is the write's own batched form.
 */
export function followUpAdvice(pattern: AccessPattern, read: { line: number; missing: boolean }, advice: string, readKind?: AccessPattern["kind"]): string {
  const writes = pattern.kind === "insert" || pattern.kind === "upsert";
  // A batched read returns its rows with their keys; a batched UPDATE or DELETE says which rows it matched only through RETURNING.
  const returning = readKind === "select" ? "with the key column in its select list" : "with `RETURNING` its keys";
  if (read.missing && writes) {
    return (
      `it runs only for the items the query at line ${read.line} matched no row for: batch that query first, ${returning}, ` +
      `then, for the items whose keys it did not return (not every item: the others exist already), ${advice.replace(/^collect the rows and /, "")}`
    );
  }
  if (read.missing) return `it runs only for the items the query at line ${read.line} matched no row for: batch that query first, then ${advice.replace(/^collect the keys and /, "")} over the keys it did not return`;
  return `it runs only for the rows the query at line ${read.line} found: batch that query first, then ${advice.replace(/^collect the (keys|rows) and /, "")} over the rows it returned`;
}

/**
 * Advice for an UPDATE per item that moves each row's own column by one amount (`col: item.col - 1`,
 * `{ decrement: 1 }`): the same write for every row, so one `UPDATE ... SET col = col - n WHERE key = ANY($1)`.
 * Prisma: `updateMany` with `increment`/`decrement` (Prisma Client reference, atomic number operations).
 */
export function shiftAdvice(pattern: AccessPattern, keys: LoopKey[], shifts: string[], table?: Table): string {
  const key = keys[0] ?? { sql: "id", code: "id", term: "id" };
  const up = pattern.loopUse?.shiftUp === true;
  const [op, word] = up ? ["+", "increment"] : ["-", "decrement"];
  const cols = shifts.map((s) => `\`${s}\``).join(", ");
  const sets = shifts.map((s) => sqlName(columnOf(table, s))).map((c) => `${c} = ${c} ${op} n`).join(", ");
  const sql = `\`UPDATE ${sqlName(pattern.table)} SET ${sets} WHERE ${sqlName(key.sql)} = ANY($1)\``;
  const lead = `every row's ${cols} moves by the same amount, one write for all of them`;
  switch (pattern.source) {
    case "prisma":
      return `${lead}: collect the keys and send one \`updateMany({ where: { ${key.code}: { in: ids } }, data: { ${shifts.map((s) => `${s}: { ${word}: n }`).join(", ")} } })\`, which is ${sql}`;
    case "drizzle":
      return `${lead}: collect the keys and send one \`.set({ ${shifts.map((s) => `${s}: sql\`\${table.${s}} ${op} n\``).join(", ")} }).where(inArray(${key.term}, ids))\`, which is ${sql}`;
    case "kysely":
      return `${lead}: collect the keys and send one \`.set((eb) => ({ ${shifts.map((s) => `${s}: eb("${s}", "${op}", n)`).join(", ")} })).where("${key.code}", "in", ids)\`, which is ${sql}`;
    case "supabase-js":
      return `${lead}: collect the keys and send them to one database function (\`.rpc()\`) that runs ${sql}`;
    default:
      return `${lead}: collect the keys and send one ${sql}`;
  }
}

const INTEGER = /^(smallint|integer|bigint|int[248]?|serial[48]?|smallserial|bigserial)$/i;

/** The table's column for a field as the code names it (`stepOrder`, or `step_order` when mapped), else the name. */
/**
 * Whether every shifted field is a number column of `table` (as the catalog spells its type: integer,
 * bigint, numeric, real, ...): `item.path + "/"` on a text column is a per-row value, not a shift.
 */
export function numericShifts(table: Table | undefined, shifts: string[]): boolean {
  if (!table) return false;
  return shifts.every((field) => {
    const name = columnOf(table, field);
    const type = table.columns.find((c) => c.name === name)?.type.toLowerCase() ?? "";
    return /^(smallint|integer|int|int2|int4|int8|bigint|numeric|decimal|real|double precision|float4|float8|smallserial|serial|bigserial)\b/.test(type);
  });
}

function columnOf(table: Table | undefined, field: string): string {
  const snake = field.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  return table?.columns.find((c) => c.name === field)?.name ?? table?.columns.find((c) => c.name === snake)?.name ?? field;
}

/**
 * The unique index of `table` that holds one of `columns` (code names; matched as written or in
 * snake_case), if any. PostgreSQL checks a non-deferrable unique constraint row by row while one UPDATE
 * runs (docs: CREATE TABLE, "DEFERRABLE"; "Non-deferred uniqueness constraints"), so a statement that
 * moves several rows' values past each other can fail with 23505 where one update per row, in order, does not.
 */
export function uniqueWritten(table: Table | undefined, columns: string[], integersOnly = false): Index | undefined {
  if (!table || columns.length === 0) return undefined;
  const named = columns.map((c) => columnOf(table, c));
  // Per-row values collide with other rows' old values when they permute positions (`position: i`), not in
  // general (a new path per folder): only integer columns, which hold such positions, are taken then.
  const names = new Set(integersOnly ? named.filter((c) => INTEGER.test(table.columns.find((col) => col.name === c)?.type ?? "")) : named);
  return table.indexes.find((i) => i.unique && i.constraint !== "primary" && i.where === null && i.keys.some((k) => k.column !== undefined && names.has(k.column)));
}

/** The caveat for a set-based rewrite that writes a column of a unique index, naming it and the fix. */
export function uniqueWriteCaveat(table: Table, index: Index, shiftOnly: boolean): string {
  const cols = index.keys.map((k) => (k.column ? sqlName(k.column) : k.expression)).join(", ");
  const fix =
    index.constraint === "unique"
      ? `declare \`${index.name}\` \`DEFERRABLE INITIALLY DEFERRED\``
      : `replace the unique index with a constraint declared deferrable (\`ALTER TABLE ${sqlName(table.name)} ADD CONSTRAINT ... UNIQUE (${cols}) DEFERRABLE INITIALLY DEFERRED\`; an index alone cannot be deferred)`;
  // A shift done one row at a time in key order never collides; values swapped between rows collide either way.
  const loop = shiftOnly ? ", where the loop's updates, one row at a time in order, succeed" : "";
  return (
    `; but \`${index.name}\` is unique on (${cols}), and PostgreSQL checks a non-deferrable unique constraint row by row during an UPDATE, ` +
    `so the single statement can fail with a duplicate key (23505) depending on the order it visits the rows${loop}: ` +
    `${fix} to allow the one statement`
  );
}
