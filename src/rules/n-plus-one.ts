// A query issued inside a loop, once per iteration, where one set-based query would do. What the code
// walker learnt about the loop decides the advice: a query that sends the item as a set is batching;
// one that depends on nothing in the loop is moved out; an UPDATE writing different values per row is
// rewritten as `UPDATE ... FROM (VALUES ...)` / `unnest(...)` where it can be, and left alone where it
// branches per item; a loop in a PL/pgSQL function runs inside the database, with no round trip.
import type { AccessPattern, FindingDraft, Schema, Severity } from "../core/types.js";
import { findPatternTable, patternRelation, qualifiedTableName } from "../schema/lookup.js";
import type { Rule, RuleContext } from "./rule.js";
import { batchAdvice, followUpAdvice, loopKeys, numericShifts, perRowUpdateAdvice, shiftAdvice, uniqueWriteCaveat, uniqueWritten, type LoopKey } from "./n-plus-one-advice.js";
import { smallLoop } from "./n-plus-one-size.js";
import { oneOffKind, oneOffNote } from "./one-off-code.js";
import { accountClosure } from "./table-evidence.js";

/** One-off data migrations: TypeScript beside migrations, or a migrate script. They run once, by hand. */
const offline = (file: string) => oneOffKind(file) !== null;

function qualified(schema: Schema, pattern: AccessPattern): string {
  const found = findPatternTable(schema, pattern);
  if (found) return qualifiedTableName(found);
  const relation = patternRelation(pattern);
  return `${relation.schema ?? "public"}.${relation.name}`;
}

/** One query of a loop, with what the finding says about it. */
interface Item {
  pattern: AccessPattern;
  severity: Severity;
  /** `reads \`users\``, `updates \`users\``. */
  what: string;
  /** What to do instead, as a sentence. */
  advice: string;
  details: string;
  columns: string[];
  /** The loop walks a collection whose length the code fixes: how to name it. */
  fixed?: string;
  /** The iteration also awaits per-item work that sends no query (`getFile()`). */
  external?: string;
  /** The set-based rewrite writes a column of this unique index, which can fail with a duplicate key. */
  unique?: string;
  /** The loop walks a collection that is few by nature (a configured list, one parent's parts): what it walks. */
  small?: string;
  /** The function closes a user account: why the loop runs rarely, as a sentence. */
  rare?: string;
}

const FIXED_DETAILS =
  "The loop walks a collection the code defines, so it runs the same number of times for every request, however many rows the tables hold. " +
  "Batching would still save round trips, but they do not grow with the data.";

const N_PLUS_ONE_DETAILS =
  "Each iteration waits for its own round trip to the database, so the time grows with the number of items, " +
  "and each query pays parsing, planning and network latency again. One set-based query fetches or writes the same rows at once; " +
  "map the results back to the items in code.";

export const nPlusOne: Rule = {
  id: "n-plus-one",
  description: "A query issued inside a loop body, once per iteration, where one set-based query would do.",
  defaultSeverity: "routine",
  check(context: RuleContext): FindingDraft[] {
    const findings: FindingDraft[] = [];
    // One finding per loop: every query of one loop body is one place to change.
    const loops = new Map<string, Item[]>();
    // One item per call site: a query with embeds or joins yields several patterns at one place.
    const seen = new Set<string>();
    // Every pattern of one call site: a relation filter's related table is read at the same place.
    const bySite = new Map<string, AccessPattern[]>();
    for (const p of context.patterns) {
      const site = `${p.location.file}:${p.location.line}:${p.location.column}`;
      bySite.set(site, [...(bySite.get(site) ?? []), p]);
    }
    for (const pattern of context.patterns) {
      if (!pattern.inLoop) continue;
      const loopUse = pattern.loopUse;
      // `item.path + "/"` on a text column is a value per row, not a shift of a number.
      const textShift = !!loopUse?.shifts?.length && !numericShifts(findPatternTable(context.schema, pattern), loopUse.shifts);
      const use = loopUse && textShift ? { ...loopUse, perRowValues: true, shifts: undefined } : loopUse;
      // A loop over chunks that sends each chunk as a set is the batching this rule asks for.
      if (use?.batched) continue;
      const site = `${pattern.location.file}:${pattern.location.line}:${pattern.location.column}`;
      if (seen.has(site)) continue;
      seen.add(site);
      const keys = loopKeys(pattern);
      const columns = keys.map((k) => k.sql);
      const loop = loopName(pattern);
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

      // A loop over a configured list or over one parent's parts runs a handful of times.
      const small = smallLoop(context, pattern);
      // The function that runs the loop also deletes the user's account row: once per closed account.
      const closure = small ? undefined : accountClosure(context, pattern);
      const rare = closure
        ? `${where} also deletes the \`${closure.table.name}\` row by its key (line ${closure.delete.location.line}), closing one user account: the loop runs once per closed account, a rare path, so this is noted, not routine.`
        : undefined;
      const severity: Severity = offline(pattern.location.file) || small || rare ? "noted" : "routine";
      const size = { ...(small ? { small } : {}), ...(rare ? { rare } : {}) };
      // Nothing in the query changes from one iteration to the next: the same query runs N times.
      const pollingLoop = pattern.loop?.kind === "while" || pattern.loop?.kind === "do...while";
      // A while loop around a query that sends nothing per iteration drains or polls (`DELETE ... LIMIT n`
      // until no row is left): the loop is the batching, and there are no keys to collect.
      if (pollingLoop && use && !use.varies) continue;
      // Keyset pagination (`WHERE id > $1 ORDER BY id LIMIT 500`, the cursor moved each turn) reads a table
      // in pages on purpose: each page is one set-based query.
      if (use?.pages && (pattern.limited || use.chained)) continue;
      const sortKey = pattern.orderBy[0]?.column;
      if (pattern.limited && sortKey && pattern.predicates.some((p) => p.op === "range" && p.sentAs === "param" && p.column === sortKey)) continue;
      // Each key comes from the previous iteration's result (a retry until a slug is free, a walk up a
      // parent chain): the keys are not known before the loop, so there is nothing to collect.
      if (use?.chained && use.varies) {
        if (pattern.kind === "select" && columns.length === 1 && columns[0] === "id") {
          findings.push({
            ...base,
            severity: "noted",
            message: `${where} walks \`${pattern.table}\` one row at a time inside ${loop}, each key taken from the row before: one round trip per step. One \`WITH RECURSIVE\` query can follow the whole chain in the database.`,
            details:
              "The next key is known only once the previous row has arrived, so the keys cannot be collected up front. A recursive common table expression " +
              "(`WITH RECURSIVE chain AS (SELECT ... WHERE id = $1 UNION ALL SELECT t.* FROM t JOIN chain ON t.id = chain.parent_id) SELECT ... FROM chain`) " +
              "follows the chain in one statement; worth it only when chains are long.",
            key: `${key}:chain`,
          });
        }
        continue;
      }
      // A loop over a literal list, a constant, an enum or a registry the code fills runs as many times as
      // the code says, whatever the data: a fixed number of round trips, not N+1.
      if (use?.fixedList) {
        addItem(loops, { pattern, severity: "noted", what: `${verb} \`${pattern.table}\``, advice: batchAdvice(ownFilters(pattern, bySite.get(site) ?? []), keys), details: FIXED_DETAILS, columns, fixed: use.fixedList });
        continue;
      }
      // A write after a per-item external call (an email sent, a request made) records that call's outcome,
      // item by item: batching the writes would record outcomes that have not happened yet.
      if (use?.afterExternal && pattern.kind !== "select") continue;
      if (use && !use.varies && !pollingLoop && (pattern.kind === "select" || pattern.kind === "delete" || pattern.kind === "update")) {
        addItem(loops, {
          pattern,
          severity,
          what: `runs the same query on \`${pattern.table}\``,
          advice: "nothing in it depends on the loop: run it once before the loop and reuse the result",
          details: "Every iteration pays a round trip, parsing and planning for rows it already has. Hoisting the query out of the loop sends it once.",
          columns,
          ...size,
        });
        continue;
      }

      // The iteration also awaits per-item work (a file fetched, a PDF signed, an email sent): batching the
      // queries saves round trips, but the per-item calls, usually slower, stay. NOTED, saying so.
      const external = use?.externalWork;
      let itemSeverity: Severity = external ? "noted" : severity;
      let advice = batchAdvice(ownFilters(pattern, bySite.get(site) ?? []), keys, findPatternTable(context.schema, pattern));
      // The per-item key is a column of a related table the query filters through (`tag.findMany({ where:
      // { items: { some: { linkId } } } })`): batch on that table's key, then join back.
      const related = keys.some((k) => k.varying) ? undefined : relatedKeyed(bySite.get(site) ?? [], pattern);
      if (related) {
        const relatedTable = related.pattern.table;
        const relatedKey = related.keys[0].sql;
        const ownNames = [...new Set(ownFilters(pattern, bySite.get(site) ?? []).predicates.map((p) => p.column).filter((c): c is string => !!c))];
        advice =
          `the per-item key is \`${relatedTable}.${relatedKey}\`, in the related table the filter goes through, not a column of \`${pattern.table}\`: ` +
          batchAdvice(ownFilters(related.pattern, bySite.get(site) ?? []), related.keys, findPatternTable(context.schema, related.pattern)).replace(/^collect the keys and /, `collect the keys and read \`${relatedTable}\` once: `) +
          (pattern.source === "prisma" ? `, with \`${pattern.table}\` included through the relation` : `, keeping the join to \`${pattern.table}\``) +
          // The loop's own conditions on this table stay too (`isNull(frames.branchId)`).
          (ownNames.length > 0 ? ` and its conditions (${ownNames.join(", ")})` : "") +
          `, then group the rows by ${relatedKey}`;
      }
      if (use?.afterRead) {
        // A follow-up of a query earlier in the iteration: it applies to what that query found (or did not).
        const own = pattern.kind === "update" && use.perRowValues ? perRowUpdateAdvice(pattern, keys, findPatternTable(context.schema, pattern)) : advice;
        if (!own) continue;
        const read = context.patterns.find((p) => p.location.file === pattern.location.file && p.location.line === use.afterRead!.line);
        advice = followUpAdvice(pattern, use.afterRead, own, read?.kind);
      } else if (pattern.kind === "update" && (use?.perRowValues || use?.branchPerItem)) {
        // Branches per item choose different statements: no single rewrite fits, so say nothing.
        const rewrite = use.branchPerItem ? undefined : perRowUpdateAdvice(pattern, keys, findPatternTable(context.schema, pattern));
        if (!rewrite) continue;
        advice = rewrite;
      } else if (pattern.kind === "update" && use?.shifts && keys.length > 0) {
        advice = shiftAdvice(pattern, keys, use.shifts, findPatternTable(context.schema, pattern));
      }
      // The rewrite writes a column of a unique index in one statement: it can fail where the loop does not. NOTED.
      const table = pattern.kind === "update" ? findPatternTable(context.schema, pattern) : undefined;
      const unique = table && !use?.branchPerItem ? (use?.perRowValues ? uniqueWritten(table, use.writes ?? [], true) : uniqueWritten(table, use?.shifts ?? [])) : undefined;
      if (table && unique) {
        advice += uniqueWriteCaveat(table, unique, !use?.perRowValues);
        itemSeverity = "noted";
      }
      addItem(loops, { pattern, severity: itemSeverity, what: `${verb} \`${pattern.table}\``, advice, details: N_PLUS_ONE_DETAILS, columns: related ? related.keys.map((k) => k.sql) : columns, ...(external ? { external } : {}), ...(unique ? { unique: unique.name } : {}), ...size });
    }
    for (const items of loops.values()) findings.push(loopFinding(context, items));
    return findings;
  },
};

/**
 * The pattern without the conditions that are another pattern's join into it: a join's inner side is
 * recorded as `id = $1` (the lookup per outer row), which is the join, not a filter the batched query adds.
 */
function ownFilters(pattern: AccessPattern, site: AccessPattern[]): AccessPattern {
  const joined = new Set(site.filter((o) => o !== pattern).flatMap((o) => o.joins.filter((j) => j.table === pattern.table).flatMap((j) => j.columns)));
  return joined.size === 0 ? pattern : { ...pattern, predicates: pattern.predicates.filter((p) => !(p.column && joined.has(p.column))) };
}

/** A pattern of the same call site, on another table, whose filters hold the loop's varying key. */
function relatedKeyed(site: AccessPattern[], pattern: AccessPattern): { pattern: AccessPattern; keys: LoopKey[] } | undefined {
  for (const other of site) {
    if (other === pattern || other.table === pattern.table) continue;
    const keys = loopKeys(other).filter((k) => k.varying);
    if (keys.length > 0) return { pattern: other, keys };
  }
  return undefined;
}

function loopName(pattern: AccessPattern): string {
  // PL/pgSQL kinds already say LOOP (`FOREACH LOOP`).
  return pattern.loop ? `the ${pattern.loop.kind}${/\bLOOP$/.test(pattern.loop.kind) ? "" : " loop"} at line ${pattern.loop.line}` : "a loop";
}

function addItem(loops: Map<string, Item[]>, item: Item): void {
  const p = item.pattern;
  const key = p.loop ? `${p.location.file}:${p.loop.line}:${p.loop.kind}` : `${p.location.file}:${p.location.line}:${p.location.column}`;
  const list = loops.get(key) ?? [];
  list.push(item);
  loops.set(key, list);
}

/** One finding for a loop: at its first query, the others as related call sites. */
function loopFinding(context: RuleContext, items: Item[]): FindingDraft {
  const [first] = items;
  const p = first.pattern;
  const where = p.functionName ? `\`${p.functionName}()\`` : "This code";
  const loop = loopName(p);
  const severity: Severity = items.some((i) => i.severity === "routine") ? "routine" : "noted";
  const external = items.find((i) => i.external)?.external;
  const small = items.find((i) => i.small)?.small;
  const rare = items.find((i) => i.rare)?.rare;
  const unique = items.find((i) => i.unique)?.unique;
  const once =
    severity !== "noted"
      ? ""
      : offline(p.location.file)
        ? ` ${oneOffNote(oneOffKind(p.location.file) ?? "script")}`
        : small
          ? ` The loop walks ${small}: a handful of round trips that do not grow with the data, so this is noted, not routine.`
          : rare
            ? ` ${rare}`
            : unique
            ? ` The rewrite can fail on \`${unique}\` until it is deferrable, so this is noted, not routine.`
            : external
            ? ` Each iteration also awaits \`${external}\`, per-item work that sends no query and that batching the queries leaves in place, so this is noted, not routine.`
            : ` ${oneOffNote(oneOffKind(p.location.file) ?? "script")}`;
  const base = { rule: "n-plus-one", table: qualified(context.schema, p), columns: first.columns, location: p.location };
  const key = `${p.location.file}:${p.functionName ?? ""}:${p.kind}`;
  if (items.every((i) => i.fixed)) {
    const whats = items.map((i) => `${i.what} (line ${i.pattern.location.line})`).join(", ");
    return {
      ...base,
      severity: "noted",
      message: `${where} ${items.length === 1 ? first.what : whats} once per element of ${first.fixed}, in ${loop}: a number of round trips the code fixes, not the data, so not N+1. If it matters, ${first.advice}.`,
      details: FIXED_DETAILS,
      ...(items.length > 1 ? { related: items.slice(1).map((i) => i.pattern.location) } : {}),
      key: `${key}:fixed:${p.loop?.line ?? p.location.line}`,
    };
  }
  if (items.length === 1) {
    const repeated = first.what.startsWith("runs the same query");
    const message = repeated
      ? `${where} ${first.what} in every iteration of ${loop}: ${first.advice.replace(/^nothing in it depends on the loop: run/, "nothing in it depends on the loop. Run")}.${once}`
      : `${where} ${first.what} inside ${loop}: one round trip per iteration (N+1). ${capitalise(first.advice)}.${once}`;
    return { ...base, severity, message, details: first.details, key: repeated ? `${key}:repeated` : key };
  }
  const each = items.map((i) => `${i.what} (line ${i.pattern.location.line}): ${i.advice}`).join("; ");
  return {
    ...base,
    severity,
    message: `${where} sends ${items.length} queries inside ${loop}, each once per iteration (N+1). It ${each}.${once}`,
    details: N_PLUS_ONE_DETAILS,
    related: items.slice(1).map((i) => i.pattern.location),
    key: `${key}:loop:${p.loop?.line ?? p.location.line}`,
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
