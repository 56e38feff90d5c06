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
import { holdsParameter, paramRoles, pastesClause } from "./sql-params.js";

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
  /** Parameters that stand for template interpolations: values, unless they sit where SQL goes. */
  pasted: Set<number>;
  /** An interpolation splices SQL text (`sql.raw(x)`, a nested `` sql`...` ``): the statement is unknown. */
  fragment?: boolean;
}

/** Objects whose helpers build SQL fragments: the tag itself, `Prisma`, `knex`, a Kysely or Drizzle `sql`. */
const FRAGMENT_OWNERS = /^(sql|Prisma|knex|db|kysely|drizzle)$/;

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
    text.fragment ||= node.quasi.expressions.some((e: Node) => isFragment(e, name));
    return query(text, ctx);
  },
};

/** The SQL a call's first argument holds: a template, a `{ text, values }` object, or a static string. */
function sqlText(node: Node, bindings: Node | undefined, mode: ClientSendMode, ctx: CodeContext): SqlText | undefined {
  if (node.type === "TemplateLiteral") return { ...templateSql(node), offset: node.start };  // CLIENT_SEND_MODES["text-template"]
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
    return { sql: str.replace(/(?<![?\w])\?(?![?|&\w])/g, () => `$${++n}`), offset: node.start, values, pasted: new Set() };
  }
  return { sql: str, offset: node.start, values, pasted: new Set() };
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
  const pasted = new Set<number>();
  let sql = parts[0];
  let fragment = false;
  for (let i = 1; i < parts.length; i++) {
    values.set(next, quasi.expressions[i - 1]);
    pasted.add(next);
    let part = parts[i];
    // Inside a quoted literal: `'${x}'` is one unknown value; `'%${x}%'` is text we cannot read.
    if (((sql.match(/'/g)?.length ?? 0) & 1) === 1) {
      if (sql.endsWith("'") && part.startsWith("'") && !part.startsWith("''")) {
        sql = sql.slice(0, -1);
        part = part.slice(1);
      } else fragment = true;
    }
    sql += `$${next++}` + part;
  }
  return { sql, offset: quasi.start, values, pasted, fragment };
}

/**
 * An interpolation in a tagged template that splices SQL text rather than binding a value: a nested
 * template, or a fragment helper of the tag (CLIENT_SEND_MODES["sql-template"].fragments).
 */
function isFragment(expression: Node, tag: string): boolean {
  let e = peel(expression);
  if (e.type === "AwaitExpression") e = peel(e.argument);
  const fragments = CLIENT_SEND_MODES["sql-template"].fragments;
  if (e.type === "TaggedTemplateExpression") return true;
  const owner = (n: Node) => n.type === "Identifier" && (n.name === tag || FRAGMENT_OWNERS.test(n.name));
  if (e.type === "MemberExpression" && !e.computed) return owner(peel(e.object)) && fragments.has(e.property?.name);
  if (e.type !== "CallExpression") return false;
  const callee = peel(e.callee);
  if (callee.type === "Identifier") return callee.name === tag || fragments.has(callee.name);
  return callee.type === "MemberExpression" && !callee.computed && owner(peel(callee.object)) && fragments.has(callee.property?.name);
}

function query(text: SqlText, ctx: CodeContext): QueryCall {
  const call: QueryCall = { patterns: [], values: [...text.values.values()], setValues: [], memberships: [] };
  // SQL spliced in leaves the statement unknown: say nothing rather than advise on the visible part.
  if (text.fragment) return call;
  const outcome = parseSql(text.sql);
  if (!outcome.ok) return call;
  if (outcome.statements.some((s) => pastesClause(s.ast, text.pasted))) return call;
  const location = ctx.location(text.offset);
  const base = ctx.base(location);
  const valueOf = (n: number) => text.values.get(n) ?? text.values.get(0);
  for (const statement of outcome.statements) {
    const roles = paramRoles(statement.ast);
    for (const n of roles.set) pushValue(call.setValues, valueOf(n));
    for (const n of roles.membership) pushValue(call.memberships, valueOf(n));
    const patterns: AccessPattern[] = patternsFromStatement(statement.ast, {
      source: "sql-in-code",
      location,
      functionName: base.functionName,
      ...(base.cachedBy ? { cachedBy: base.cachedBy } : {}),
      inLoop: base.inLoop,
      loop: base.loop,
      suppressions: base.suppressions,
    });
    call.patterns.push(...patterns.map(withoutParameterExpressions));
  }
  return call;
}

function pushValue(list: Node[], value: Node | undefined): void {
  if (value && !list.includes(value)) list.push(value);
}

/**
 * A bound value is not part of any index: a predicate on an expression that holds one
 * (`batch_id % $1 = 0`) is one no index serves, so it is not offered to the advisor.
 */
function withoutParameterExpressions(pattern: AccessPattern): AccessPattern {
  if (!pattern.predicates.some((p) => p.expression !== undefined && holdsParameter(p.expression))) return pattern;
  return { ...pattern, predicates: pattern.predicates.filter((p) => p.expression === undefined || !holdsParameter(p.expression)) };
}
