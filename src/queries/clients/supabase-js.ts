// supabase-js: `supabase.from("t").select(...).eq(...)` chains, recognized here and read by
// ../supabase.ts (what each builder method means). How PostgREST sends each filter value is in
// ../send-modes.ts. Source: supabase-js / postgrest-js documentation (PostgrestQueryBuilder,
// PostgrestFilterBuilder).
import { peel, flattenChain, type Node } from "../code/ast.js";
import { patternsFromChain } from "../supabase.js";
import type { BuilderVariant, CodeContext, QueryCall, QueryClient } from "./client.js";

/** Receivers that hold a database client: `supabase`, `client`, `db`, `admin`, `this.supabase`, `supabaseAdmin`. */
const CLIENT_NAME = /supabase|client|^db$|^admin$|admin$|^sb$/i;

/** `createClient(...)`, `createServerClient(...)`, `getSupabase()`, `new SupabaseClient(...)`. */
function isClientFactory(node: Node): boolean {
  const n = node.type === "AwaitExpression" ? peel(node.argument) : node;
  if (n.type !== "CallExpression" && n.type !== "NewExpression") return false;
  const callee = peel(n.callee);
  const name = callee.type === "Identifier" ? callee.name : callee.type === "MemberExpression" && !callee.computed ? callee.property?.name : "";
  return /client|supabase/i.test(name ?? "");
}

function isClient(node: Node, ctx: CodeContext): boolean {
  const n = peel(node);
  if (n.type === "AwaitExpression") return isClient(n.argument, ctx);
  if (n.type === "Identifier") return CLIENT_NAME.test(n.name) || ctx.boundToClient(n.name);
  if (n.type === "MemberExpression" && !n.computed) return CLIENT_NAME.test(n.property?.name ?? "");
  return isClientFactory(n);
}

/** `batch`, `chunk`, `rows.slice(i, j)`, `[...rows]`: an expression that names a list of rows. */
function isRowList(node: Node): boolean {
  const n = peel(node);
  if (n.type === "Identifier") return /chunk|batch|page|slice|group|rows|records|items/i.test(n.name);
  if (n.type === "ArrayExpression") return n.elements.some((e: Node | null) => e?.type === "SpreadElement");
  return n.type === "CallExpression" && peel(n.callee).type === "MemberExpression" && ["slice", "splice", "map", "filter"].includes(peel(n.callee).property?.name);
}

export const supabaseJs: QueryClient = {
  mayQuery: /\.from\s*\(/,
  isClientFactory,

  /** `client.from(table)` or `client.schema(s).from(table)`, with the calls after it as steps. */
  startBuilder(node: Node, ctx: CodeContext): BuilderVariant[] | undefined {
    const { root, calls } = flattenChain(node);
    for (let i = 0; i < calls.length; i++) {
      if (calls[i].method !== "from") continue;
      let receiver = i === 0 ? root : calls[i - 1].node;
      let schema: string | undefined;
      if (i > 0 && calls[i - 1].method === "schema") {
        schema = ctx.staticString(calls[i - 1].args[0]);
        receiver = i === 1 ? root : calls[i - 2].node;
        if (!schema) return undefined;
      }
      if (!isClient(receiver, ctx)) continue;
      const table = ctx.staticString(calls[i].args[0]);
      if (!table) return undefined;
      const steps = calls.slice(i + 1).map((c) => ({ method: c.method, args: c.args, conditional: false }));
      const relation = schema ? { schema, name: table } : { name: table };
      return [{ client: supabaseJs, table: schema ? `${schema}.${table}` : table, relation, steps, fromOffset: calls[i].propertyStart }];
    }
    return undefined;
  },

  builderQuery(variant: BuilderVariant, ctx: CodeContext): QueryCall {
    const base = ctx.base(ctx.location(variant.fromOffset));
    const values = { string: (n: Node | undefined) => ctx.staticString(n) };
    const patterns = patternsFromChain({ table: variant.table, relation: variant.relation, steps: variant.steps, values, base: { ...base, source: "supabase-js" } });
    const call: QueryCall = { patterns, values: [], setValues: [], memberships: [] };
    for (const step of variant.steps) {
      call.values.push(...step.args);
      if (step.method === "update") call.setValues.push(...step.args);
      // `.in(col, list)` and `.filter(col, "in", list)`: PostgREST sends `col = ANY($n)`.
      if (step.method === "in" && step.args[1]) call.memberships.push(step.args[1]);
      if (step.method === "filter" && ctx.staticString(step.args[1]) === "in" && step.args[2]) call.memberships.push(step.args[2]);
      // `.insert(batch)`: a list of rows in one request, when the code names it as one.
      if ((step.method === "insert" || step.method === "upsert") && step.args[0] && isRowList(step.args[0])) call.memberships.push(step.args[0]);
    }
    return call;
  },
};
