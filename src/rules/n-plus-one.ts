// A query issued inside a loop, once per iteration, where one set-based query would do. What the code
// walker learnt about the loop decides the advice: a query that sends the item as a set is batching;
// one that depends on nothing in the loop is moved out; an UPDATE writing different values per row is
// rewritten as `UPDATE ... FROM (VALUES ...)` / `unnest(...)` where it can be, and left alone where it
// branches per item; a loop in a PL/pgSQL function runs inside the database, with no round trip.
import type { AccessPattern, FindingDraft, Schema, Severity } from "../core/types.js";
import { findPatternTable, patternRelation, qualifiedTableName } from "../schema/lookup.js";
import type { Rule, RuleContext } from "./rule.js";

/** One-off data migrations: TypeScript beside migrations, or a migrate script. They run once, by hand. */
const DATA_MIGRATION = /(^|\/)(migrations?|data-migrations?|migrate)\/|(^|\/)scripts\/[^/]*migrat[^/]*\.[cm]?[jt]sx?$/i;

function qualified(schema: Schema, pattern: AccessPattern): string {
  const found = findPatternTable(schema, pattern);
  if (found) return qualifiedTableName(found);
  const relation = patternRelation(pattern);
  return `${relation.schema ?? "public"}.${relation.name}`;
}

/** The columns a batched query would key on: those the loop compares with one value per iteration. */
function lookupColumns(pattern: AccessPattern): string[] {
  // Equality first: an IN list beside it is usually a fixed set of states, not the per-item key.
  const keyed = (op: string) => pattern.predicates.filter((p) => p.op === op && p.sentAs === "param" && p.column).map((p) => p.column!);
  return [...new Set([...keyed("eq"), ...keyed("in")])];
}

function suggestion(pattern: AccessPattern, columns: string[]): string {
  const column = columns[0] ?? "id";
  if (pattern.kind === "insert" || pattern.kind === "upsert") {
    return pattern.source === "supabase-js"
      ? `collect the rows and send them in one \`.${pattern.kind}([...rows])\` call`
      : "collect the rows and write them in one multi-row `INSERT ... VALUES` (or `INSERT ... SELECT FROM unnest($1::...[])`)";
  }
  if (pattern.source === "supabase-js") return `collect the keys and run one query with \`.in("${column}", ids)\``;
  return `collect the keys and run one query with \`WHERE ${column} = ANY($1)\``;
}

/** An UPDATE that writes a different value per row: one statement joins the new values by key. */
function perRowUpdate(pattern: AccessPattern, columns: string[]): string | undefined {
  // Branches per item choose different statements: no single rewrite fits, so say nothing.
  if (pattern.loopUse?.branchPerItem) return undefined;
  const key = pattern.predicates.find((p) => p.op === "eq" && p.sentAs === "param" && p.column)?.column ?? columns[0];
  if (!key) return undefined;
  const sql = `\`UPDATE ${pattern.table} AS t SET col = v.col FROM (VALUES ...) AS v(${key}, col) WHERE t.${key} = v.${key}\` (or \`FROM unnest($1::...[], $2::...[]) AS v(${key}, col)\`)`;
  return pattern.source === "supabase-js"
    ? `each row gets its own values, so \`.in()\` cannot batch it: send the rows to one database function (\`.rpc()\`) that runs ${sql}`
    : `each row gets its own values, so \`= ANY\` cannot batch it: write them in one statement, ${sql}`;
}

export const nPlusOne: Rule = {
  id: "n-plus-one",
  description: "A query issued inside a loop body, once per iteration, where one set-based query would do.",
  defaultSeverity: "routine",
  check(context: RuleContext): FindingDraft[] {
    const findings: FindingDraft[] = [];
    // One finding per call site: a query with embeds or joins yields several patterns at one place.
    const seen = new Set<string>();
    for (const pattern of context.patterns) {
      if (!pattern.inLoop) continue;
      const use = pattern.loopUse;
      // A loop over chunks that sends each chunk as a set is the batching this rule asks for.
      if (use?.batched) continue;
      const site = `${pattern.location.file}:${pattern.location.line}:${pattern.location.column}`;
      if (seen.has(site)) continue;
      seen.add(site);
      const columns = lookupColumns(pattern);
      // PL/pgSQL kinds already say LOOP (`FOREACH LOOP`).
      const loop = pattern.loop ? `the ${pattern.loop.kind}${/\bLOOP$/.test(pattern.loop.kind) ? "" : " loop"} at line ${pattern.loop.line}` : "a loop";
      const where = pattern.functionName ? `\`${pattern.functionName}()\`` : "This code";
      const verb = pattern.kind === "select" ? "reads" : pattern.kind === "delete" ? "deletes from" : pattern.kind === "insert" || pattern.kind === "upsert" ? "writes to" : "updates";
      const base = { rule: "n-plus-one", table: qualified(context.schema, pattern), columns, location: pattern.location };
      const key = `${pattern.location.file}:${pattern.functionName ?? ""}:${pattern.kind}`;

      if (pattern.source === "plpgsql") {
        findings.push({
          ...base,
          severity: "noted",
          message: `${where} ${verb} \`${pattern.table}\` inside ${loop}, once per row, inside the database: no network round trip, but one statement execution per row. One set-based statement (a join, or \`${columns[0] ?? "id"} = ANY(array)\`) does the same in one pass.`,
          details:
            "A PL/pgSQL loop runs its statements in the server process, so there is no round trip to pay; each iteration still runs the statement's " +
            "executor again (the plan is cached), which for many rows costs more than one statement over the whole set.",
          key,
        });
        continue;
      }

      const severity: Severity = DATA_MIGRATION.test(pattern.location.file) ? "noted" : "routine";
      const once = severity === "noted" ? " This is a one-off data migration, so it runs once: worth fixing only if it is slow on production data." : "";
      // Nothing in the query changes from one iteration to the next: the same query runs N times.
      const pollingLoop = pattern.loop?.kind === "while" || pattern.loop?.kind === "do...while";
      // A while loop around a query that sends nothing per iteration drains or polls (`DELETE ... LIMIT n`
      // until no row is left): the loop is the batching, and there are no keys to collect.
      if (pollingLoop && use && !use.varies) continue;
      // Keyset pagination (`WHERE id > $1 ORDER BY id LIMIT 500`, the cursor moved each turn) reads a table
      // in pages on purpose: each page is one set-based query.
      const sortKey = pattern.orderBy[0]?.column;
      if (pattern.limited && sortKey && pattern.predicates.some((p) => p.op === "range" && p.sentAs === "param" && p.column === sortKey)) continue;
      if (use && !use.varies && !pollingLoop && (pattern.kind === "select" || pattern.kind === "delete" || pattern.kind === "update")) {
        findings.push({
          ...base,
          severity,
          message: `${where} runs the same query on \`${pattern.table}\` in every iteration of ${loop}: nothing in it depends on the loop. Run it once before the loop and reuse the result.${once}`,
          details: "Every iteration pays a round trip, parsing and planning for rows it already has. Hoisting the query out of the loop sends it once.",
          key: `${key}:repeated`,
        });
        continue;
      }

      let advice = suggestion(pattern, columns);
      if (pattern.kind === "update" && (use?.perRowValues || use?.branchPerItem)) {
        const rewrite = perRowUpdate(pattern, columns);
        if (!rewrite) continue;
        advice = rewrite;
      }
      findings.push({
        ...base,
        severity,
        message: `${where} ${verb} \`${pattern.table}\` inside ${loop}: one round trip per iteration (N+1). ${capitalise(advice)}.${once}`,
        details:
          "Each iteration waits for its own round trip to the database, so the time grows with the number of items, " +
          "and each query pays parsing, planning and network latency again. One set-based query fetches or writes the same rows at once; " +
          "map the results back to the items in code.",
        key,
      });
    }
    return findings;
  },
};

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
