// SQL sent as text from code: node-postgres and pool-style clients (`pool.query(text, values)`),
// knex (`knex.raw(text, bindings)`), pg-promise (`db.any(text, values)`), postgres.js and Prisma
// tagged templates (`` sql`...` ``, `` prisma.$queryRaw`...` ``). The statement is parsed with
// PostgreSQL's own parser and read by ../sql-patterns.ts. How each form binds its values is in
// ../send-modes.ts (SQL_IN_CODE_SEND_MODES).
import type { AccessPattern } from "../../core/types.js";
import { parseSql } from "../../sql/parser.js";
import { peel, type Node } from "../code/ast.js";
import { patternsFromStatement } from "../sql-patterns.js";
import { CLIENT_SEND_MODES, type ClientSendMode } from "../send-modes.js";
import type { CodeContext, QueryCall, QueryClient } from "./client.js";

/** Methods that run a SQL string: pg, mysql-style pools, knex, Prisma, postgres.js, pg-promise. */
const SQL_METHODS = new Set([
  "query",
  "raw",
  "$queryRaw",
  "$queryRawUnsafe",
  "$executeRaw",
  "$executeRawUnsafe",
  "unsafe",
  "execute",
  "any",
  "one",
  "oneOrNone",
  "many",
  "manyOrNone",
  "none",
]);
const SQL_TAGS = new Set(["sql", "$queryRaw", "$executeRaw"]);
const LOOKS_LIKE_QUERY = /^\s*\(?\s*(select|with|update|delete|insert)\b/i;

/** SQL text with its bound values by parameter number (`$1` is values.get(1)). */
interface SqlText {
  sql: string;
  offset: number;
  values: Map<number, Node>;
}

export const sqlInCode: QueryClient = {
  mayQuery: /\.(query|raw|unsafe|execute|any|one|oneOrNone|many|manyOrNone|none)\s*[(`]|\bsql\s*`|\$(query|execute)Raw/,

  call(node: Node, ctx: CodeContext): QueryCall | undefined {
    const callee = peel(node.callee);
    if (callee.type !== "MemberExpression" || callee.computed) return undefined;
    if (!SQL_METHODS.has(callee.property?.name)) return undefined;
    const first = node.arguments[0] ? peel(node.arguments[0]) : undefined;
    if (!first) return undefined;
    const mode = callee.property.name === "raw" ? CLIENT_SEND_MODES["knex.raw"] : CLIENT_SEND_MODES.pg;
    const text = sqlText(first, node.arguments[1], mode, ctx);
    if (!text || !LOOKS_LIKE_QUERY.test(text.sql)) return undefined;
    return query(text, ctx);
  },

  taggedTemplate(node: Node, ctx: CodeContext): QueryCall | undefined {
    const tag = peel(node.tag);
    const name = tag.type === "Identifier" ? tag.name : tag.type === "MemberExpression" && !tag.computed ? tag.property?.name : undefined;
    if (!name || !SQL_TAGS.has(name)) return undefined;
    const text = templateSql(node.quasi);
    if (!LOOKS_LIKE_QUERY.test(text.sql)) return undefined;
    return query(text, ctx);
  },
};

/** The SQL a call's first argument holds: a template, a `{ text, values }` object, or a static string. */
function sqlText(node: Node, bindings: Node | undefined, mode: ClientSendMode, ctx: CodeContext): SqlText | undefined {
  if (node.type === "TemplateLiteral") return { ...templateSql(node), offset: node.start };
  if (node.type === "ObjectExpression") {
    const keyOf = (p: Node) => p.key?.name ?? p.key?.value;
    const text = node.properties.find((p: Node) => keyOf(p) === "text" || keyOf(p) === "sql");
    const values = node.properties.find((p: Node) => keyOf(p) === "values");
    return text ? sqlText(peel(text.value), values?.value, mode, ctx) : undefined;
  }
  const str = ctx.staticString(node);
  if (str === undefined) return undefined;
  const values = listValues(bindings);
  // knex.raw binds `?` (and `??` for identifiers, which cannot be read statically).
  if (mode.placeholder === "?") {
    if (str.includes("??")) return undefined;
    let n = 0;
    return { sql: str.replace(/(?<![?\w])\?(?![?|&\w])/g, () => `$${++n}`), offset: node.start, values };
  }
  return { sql: str, offset: node.start, values };
}

/** `[a, b]` as the values of $1, $2; anything else stands for all of them at once. */
function listValues(bindings: Node | undefined): Map<number, Node> {
  const out = new Map<number, Node>();
  if (!bindings) return out;
  const list = peel(bindings);
  if (list.type === "ArrayExpression") list.elements.forEach((e: Node | null, i: number) => e && out.set(i + 1, e));
  else out.set(0, list);
  return out;
}

/** A template literal as SQL: each interpolation becomes the next `$n` after any written in the text. */
function templateSql(quasi: Node): SqlText {
  const parts: string[] = quasi.quasis.map((q: Node) => q.value?.cooked ?? q.value?.raw ?? "");
  let next = 1;
  for (const part of parts) for (const m of part.matchAll(/\$(\d+)/g)) next = Math.max(next, Number(m[1]) + 1);
  const values = new Map<number, Node>();
  let sql = parts[0];
  for (let i = 1; i < parts.length; i++) {
    values.set(next, quasi.expressions[i - 1]);
    sql += `$${next++}` + parts[i];
  }
  return { sql, offset: quasi.start, values };
}

function query(text: SqlText, ctx: CodeContext): QueryCall {
  const call: QueryCall = { patterns: [], values: [...text.values.values()], setValues: [], memberships: [] };
  const outcome = parseSql(text.sql);
  if (!outcome.ok) return call;
  const location = ctx.location(text.offset);
  const base = ctx.base(location);
  for (const statement of outcome.statements) {
    const patterns: AccessPattern[] = patternsFromStatement(statement.ast, {
      source: "sql-in-code",
      location,
      functionName: base.functionName,
      inLoop: base.inLoop,
      loop: base.loop,
      suppressions: base.suppressions,
    });
    call.patterns.push(...patterns);
  }
  return call;
}
