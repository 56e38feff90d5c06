// A foreign key with no index the referential-integrity check can use on the referencing table.
// The check PostgreSQL runs for each delete or key update of a referenced row is
// `SELECT 1 FROM ONLY child WHERE fk1 = $1 [AND fk2 = $2 ...] FOR KEY SHARE OF child`,
// so the index must have the FK columns as its leading keys (any order) and a predicate
// that `fk = $n` proves (none, or only IS NOT NULL on those columns).
import type { FindingDraft, Fix, ForeignKey, Index, Schema, Severity, Table } from "../core/types.js";
import { findTableExact } from "../schema/lookup.js";
import { inheritanceChildren } from "../advisor/inheritance.js";
import { pendingCreation, placeFix } from "../advisor/fix-placement.js";
import { foreignKeyCover, whyIndexCannotServe } from "../advisor/ri-check.js";
import { expectedRows, isKnownSmall, isLarge, isSettledMigrationFile, keyLabel, partitionAncestors, tableIndexes } from "./model.js";
import type { Rule, RuleContext } from "./rule.js";
import { qualifiedName, recommendedIndexName, tableRef, quoteIdent } from "./sql-text.js";
import { tableHint } from "../core/config.js";
import { codeRuns, growth, liveDeletePath, noGrowthSeen, patternsOn, perOwnerShape, platformOwned, softDeleteRule } from "./table-evidence.js";

const ACTIONS_THAT_WRITE = new Set(["cascade", "set null", "set default"]);

/**
 * Tables an auth library's database adapter writes without the application's code (Auth.js/NextAuth, Lucia,
 * better-auth: sessions, accounts, verification tokens): the code never querying them says nothing.
 */
const AUTH_ADAPTER_TABLE = /^(user_?)?(sessions?|accounts?|verification_?tokens?|verifications?|authenticators?)$/i;
/** The adapter's sessions table: written only under the database session strategy. */
const AUTH_SESSIONS_TABLE = /^(user_?|auth_?)?sessions?$/i;


/** True when the index touches the FK columns at all (worth naming as a near miss). */
function touches(index: Index, fkColumns: string[]): boolean {
  return index.keys.some((k) => k.column !== undefined && fkColumns.includes(k.column)) || index.include.some((c) => fkColumns.includes(c));
}

function sameForeignKey(a: ForeignKey, b: ForeignKey): boolean {
  return (
    a.columns.join("\0") === b.columns.join("\0") &&
    a.references.schema === b.references.schema &&
    a.references.table === b.references.table &&
    a.references.columns.join("\0") === b.references.columns.join("\0")
  );
}

/**
 * IMPORTANT needs evidence: a code path that deletes parent rows (directly or through a cascade) while
 * the child grows, or a size hint saying the child is large under a key the database writes through. A
 * path that only closes user accounts (one users row by its key) or deletes a tenant (one team, organisation
 * or workspace row by its key, the root that owns the other rows) runs the check once per closed account or
 * deleted tenant: ROUTINE unless a size hint says the child is large.
 * NOTED, without a size hint, when the code deletes rows but never the parent's (the check never runs on a
 * request path), or deletes the parent's but never queries the child at all while it inserts elsewhere. Everything else is ROUTINE. `why` completes "IMPORTANT/ROUTINE because ...".
 */
function weighSeverity(
  context: RuleContext,
  table: Table,
  parent: Table | undefined,
  fk: ForeignKey,
  writesThrough: boolean,
  softDeleted: boolean,
): { severity: Severity; why: string } {
  const child = table.schema === "public" ? table.name : qualifiedName(table.schema, table.name);
  const parentName = fk.references.schema === "public" ? fk.references.table : qualifiedName(fk.references.schema, fk.references.table);
  // The check reads `FROM ONLY` this table (ri_triggers.c): an inheritance parent's own rows, usually few,
  // while the rows that matter sit in INHERITS children, which do not inherit the foreign key at all.
  const heirs = inheritanceChildren(context.schema, table);
  if (heirs.length > 0) {
    const names = heirs.slice(0, 3).map((t) => t.name).join(", ") + (heirs.length > 3 ? ` and ${heirs.length - 3} more` : "");
    return {
      severity: "noted",
      why: `${child} is an inheritance parent (of ${names}): the check reads only ${child}'s own rows, which in an inheritance hierarchy are usually few, and PostgreSQL does not inherit foreign keys to INHERITS children, so their rows are not checked at all`,
    };
  }
  // Auth.js / NextAuth with `session: { strategy: "jwt" }` keeps sessions in a cookie: its adapter never writes
  // this table, and neither does the code, so no row references a parent and each check finds nothing.
  const jwt = context.codeFacts?.jwtSessions;
  if (jwt && AUTH_SESSIONS_TABLE.test(table.name) && !patternsOn(context, table).some((p) => p.kind === "insert" || p.kind === "upsert")) {
    return {
      severity: "noted",
      why: `the auth configuration sets \`session: { strategy: "jwt" }\` (${jwt.file}:${jwt.line}), so sessions live in a cookie and the auth library's adapter never writes ${child}, nor does the code the audit read: the table stays empty and each check finds nothing`,
    };
  }
  if (isKnownSmall(context.config, table)) {
    return { severity: "routine", why: `the size hint says ${child} holds about ${expectedRows(context.config, table)!.toLocaleString("en-US")} rows, so each scan is short` };
  }
  const deletes = parent && !softDeleted ? liveDeletePath(context, parent) : null;
  // Without a size hint, what the code does decides whether the check ever runs where it costs anything.
  // "Never" counts only when the audit read code that does that kind of write to some other table.
  const hinted = expectedRows(context.config, table) !== undefined || tableHint(context.config, table.schema, table.name)?.appendOnly;
  if (!hinted && parent && !softDeleted && !deletes && codeRuns(context, ["delete"])) {
    return {
      severity: "noted",
      why: `no code path the audit read deletes ${parentName} rows (it deletes rows of other tables), and an update runs the check only when it changes ${parentName}'s key, so the check never runs on a request path: only a delete by hand or by another service would run it`,
    };
  }
  // A table the code never queries at all, while it inserts into others, is not this application's to fill:
  // a table kept for a feature it does not use. Not an auth adapter's tables, which a library fills.
  if (!hinted && deletes && !AUTH_ADAPTER_TABLE.test(table.name) && patternsOn(context, table).length === 0 && codeRuns(context, ["insert", "upsert"])) {
    return {
      severity: "noted",
      why: `${deletes.text}, but the code the audit read never queries ${child}, neither inserting into it nor reading it, while it inserts into other tables: nothing in this application fills ${child}, so each check reads few rows`,
    };
  }
  // A settings table or one row per parent grows only with its parent.
  const owner = expectedRows(context.config, table) === undefined ? perOwnerShape(table) : null;
  if (deletes && owner) return { severity: "routine", why: `${deletes.text}, but ${owner}` };
  const grows = growth(context, table);
  if (deletes && grows && !deletes.closure) return { severity: "important", why: `${deletes.text}, and ${grows.text}` };
  if (isLarge(context.config, table) && writesThrough && !softDeleted) {
    return { severity: "important", why: `${grows?.text ?? `${child} is large (size hint)`}, and ON ${fk.onDelete !== "no action" && fk.onDelete !== "restrict" ? `DELETE ${fk.onDelete.toUpperCase()}` : `UPDATE ${fk.onUpdate.toUpperCase()}`} writes through to it on every parent change` };
  }
  if (softDeleted) return { severity: "routine", why: `a rule turns deletes on ${parentName} into updates, so only key updates reach the check` };
  // Closing an account or deleting a tenant is rare: the check runs once per closed account or deleted
  // team, whatever the child holds (creator columns such as created_by, the rows a user or a team owns).
  // A size hint saying the child is large decides above.
  if (deletes?.closure && grows) {
    const once =
      deletes.closure === "account"
        ? "an account is closed once, so the check runs once per closed account"
        : "a tenant (a team, organisation or workspace) is deleted once, at the end of its life, so the check runs once per deleted tenant";
    return { severity: "routine", why: `${deletes.text}: ${once} rather than on everyday requests, though ${grows.text}` };
  }
  if (!deletes) {
    const known = parent ? "" : `, and ${parentName} is not created by these migrations`;
    return { severity: "routine", why: `no code path the audit read deletes ${parentName} rows${known}; the check runs on deletes made elsewhere (by hand, by another service)${grows ? `, though ${grows.text}` : ""}` };
  }
  return { severity: "routine", why: `${deletes.text}, but nothing shows ${child} growing without bound: ${noGrowthSeen(context, table)}` };
}

/** An index that bounds the RI check by some leading FK columns, not all of them. */
interface PartialCover {
  index: Index;
  bound: string[];
}

/**
 * One cover per set of bound columns (the smallest index), best first: most columns bound, then the one
 * bounding the key's first column (usually the owner or tenant), then fewest keys, the cheapest to read.
 */
function bestCovers(covers: PartialCover[], fk: ForeignKey): PartialCover[] {
  const rank = (c: PartialCover) => [-c.bound.length, c.bound.includes(fk.columns[0]) ? 0 : 1, c.index.keys.length];
  const sorted = [...covers].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  const seen = new Set<string>();
  return sorted.filter((c) => {
    const key = [...c.bound].sort().join("\0");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The FK columns a partial cover leaves to a per-row test. */
function rest(fk: ForeignKey, partial: PartialCover): string {
  return fk.columns.filter((c) => !partial.bound.includes(c)).join(", ");
}

/**
 * An index on a leading subset of the key already bounds the check to the rows of one leading key (one
 * team's rows, not the table's). That is NOTED unless something says those rows are many: a size hint
 * of a large table, or the code growing the table; then ROUTINE, never IMPORTANT.
 */
function weighPartialCover(context: RuleContext, table: Table, partial: PartialCover): { severity: Severity; why: string } {
  const child = table.schema === "public" ? table.name : qualifiedName(table.schema, table.name);
  const key = partial.bound.join(", ");
  const narrows = `${partial.index.name} already bounds the check to the ${child} rows of one ${key}`;
  if (isKnownSmall(context.config, table)) {
    return { severity: "noted", why: `${narrows}, and the size hint says ${child} holds about ${expectedRows(context.config, table)!.toLocaleString("en-US")} rows` };
  }
  if (isLarge(context.config, table)) {
    return { severity: "routine", why: `${narrows}, but ${child} is expected to hold ${expectedRows(context.config, table)!.toLocaleString("en-US")} rows (size hint), so one ${key} can have many of them` };
  }
  const grows = growth(context, table);
  if (grows) return { severity: "routine", why: `${narrows}, but ${grows.text}, so the rows of one ${key} keep growing` };
  return {
    severity: "noted",
    why: `${narrows}, and nothing shows those rows being many: ${noGrowthSeen(context, table)}`,
  };
}

function checkForeignKey(context: RuleContext, schema: Schema, table: Table, fk: ForeignKey): FindingDraft | null {
  // NOT ENFORCED (PostgreSQL 18): no trigger, no check on parent deletes or updates, nothing to serve.
  if (fk.enforced === false) return null;
  // auth.*, storage.*: the platform's tables, not the project's to index.
  if (platformOwned(table)) return null;
  const ancestors = partitionAncestors(schema, table);
  // A partition inherits its parent's foreign key; the parent's finding covers it.
  if (ancestors.some((parent) => parent.foreignKeys.some((pfk) => sameForeignKey(pfk, fk)))) return null;

  const candidates = [...tableIndexes(table), ...ancestors.flatMap((parent) => tableIndexes(parent))];
  const nearMisses: string[] = [];
  // Indexes that bound the check by some leading FK columns, when none bounds it by all of them.
  const covers: PartialCover[] = [];
  for (const index of candidates) {
    const bound = foreignKeyCover(index, fk.columns);
    if (bound === "serves") return null;
    if (bound) covers.push({ index, bound });
    // The reason is worded only for the indexes the finding names.
    else if (touches(index, fk.columns)) nearMisses.push(`${index.name} ${whyIndexCannotServe(index, fk.columns)}.`);
  }
  const [partial = null, ...otherCovers] = bestCovers(covers, fk);

  const child = qualifiedName(table.schema, table.name);
  const parent = qualifiedName(fk.references.schema, fk.references.table);
  const fkCols = fk.columns.join(", ");
  // Outside public the schema is named: `auth.users(id)` and `users(id)` are different tables.
  const parentLabel = fk.references.schema === "public" ? fk.references.table : parent;
  const childLabel = table.schema === "public" ? table.name : child;
  const referenced = fk.references.columns.length > 0 ? `${parentLabel}(${fk.references.columns.join(", ")})` : parentLabel;
  const writes = [fk.onDelete, fk.onUpdate].filter((action) => ACTIONS_THAT_WRITE.has(action));
  const large = isLarge(context.config, table);
  const parentTable = findTableExact(schema, fk.references.schema, fk.references.table);
  // A rule that turns DELETE on the parent into an UPDATE: no delete, so no check and no cascade on delete.
  const softDelete = parentTable ? softDeleteRule(context, parentTable) : undefined;
  if (softDelete && !ACTIONS_THAT_WRITE.has(fk.onUpdate)) return null;
  const { severity, why } = partial
    ? weighPartialCover(context, table, partial)
    : weighSeverity(context, table, parentTable, fk, writes.length > 0, Boolean(softDelete));

  const lookup = fk.columns.map((c, i) => `${quoteIdent(c)} = $${i + 1}`).join(" AND ");
  const paragraphs = [
    `${severity.toUpperCase()} because ${why}.`,
    ...(fk.applicationOnly
      ? applicationOnlyParagraphs(table, parent, child, lookup)
      : [
          `PostgreSQL enforces this foreign key from the referenced side: every DELETE of a row in ${parent} runs \`${riStatement(fk.onDelete, tableRef(table.schema, table.name), fk.columns, lookup)}\`, and every UPDATE of its key runs the same lookup for ON UPDATE ${fk.onUpdate.toUpperCase()}. ` +
            (partial
              ? `${partial.index.name} bounds that lookup by ${partial.bound.join(", ")} only: each check reads every ${child} row with the deleted row's ${partial.bound.join(", ")} and tests ${rest(fk, partial)} on each of them, while the deleting transaction holds its locks. An index whose leading columns are (${fkCols}) finds exactly the referencing rows.`
              : `With no index whose leading columns are (${fkCols}), each of those checks reads all of ${child}, while the deleting transaction holds its locks.`),
        ]),
  ];
  if (softDelete) {
    paragraphs.push(`Deletes on ${parent} never run: the rule at ${softDelete.location.file}:${softDelete.location.line} turns each into an UPDATE. Only key updates, which ON UPDATE ${fk.onUpdate.toUpperCase()} writes through, reach ${child}.`);
  } else if (fk.onDelete !== "no action" && fk.onDelete !== "restrict") {
    paragraphs.push(
      `ON DELETE ${fk.onDelete.toUpperCase()} means each delete in ${parent} also has to find and change the referencing rows in ${child}, which ${partial ? `through ${partial.index.name} reads every row of the deleted row's ${partial.bound.join(", ")}` : "without an index is a full scan"} per deleted row.`,
    );
  }
  if (fk.onUpdate !== "no action" && fk.onUpdate !== "restrict") {
    paragraphs.push(`ON UPDATE ${fk.onUpdate.toUpperCase()} does the same for every key update in ${parent}.`);
  }
  if (large) paragraphs.push(`${child} is expected to hold many rows (size hint in the configuration), so each scan is expensive.`);
  if (!partial) paragraphs.push(`Joins from ${parent} to ${child} on this key get no index either.`);
  if (otherCovers.length > 0) {
    paragraphs.push(`The planner may read ${otherCovers.map((c) => `${c.index.name} (bounded by ${c.bound.join(", ")})`).join(" or ")} instead; each leaves the rest of the key to a per-row test the same way.`);
  }
  if (nearMisses.length > 0) paragraphs.push(`Existing indexes that do not serve the check: ${nearMisses.join(" ")}`);

  const name = recommendedIndexName(table.name, fk.columns);
  const columnList = fk.columns.map(quoteIdent).join(", ");
  let fixSql: string;
  if (table.partitionBy) {
    // CREATE INDEX CONCURRENTLY is not supported on a partitioned table.
    fixSql = `CREATE INDEX IF NOT EXISTS ${quoteIdent(name)} ON ${tableRef(table.schema, table.name)} (${columnList});`;
    paragraphs.push(
      `${child} is partitioned, and PostgreSQL cannot build an index CONCURRENTLY on a partitioned table. To avoid blocking writes while it builds, create it with ON ONLY on the parent, build the same index CONCURRENTLY on each partition, then ALTER INDEX ... ATTACH PARTITION each one.`,
    );
  } else if (pendingCreation(table, (file) => isSettledMigrationFile(context.set, file))?.file === fk.location.file) {
    // The table is created in this migration, not yet applied, so it is empty while the index builds: no
    // CONCURRENTLY, and the index follows the key in the same file (CONCURRENTLY would fail in its transaction).
    fixSql = `CREATE INDEX IF NOT EXISTS ${quoteIdent(name)} ON ${tableRef(table.schema, table.name)} (${columnList});`;
  } else {
    fixSql = `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(name)} ON ${tableRef(table.schema, table.name)} (${columnList});`;
  }
  // An applied migration cannot be edited: the index is a migration of its own. Otherwise a CONCURRENTLY
  // build on an existing table fails inside the transaction this migration may run in.
  const placed: { fix: Fix; note?: string } = isSettledMigrationFile(context.set, fk.location.file)
    ? { fix: { sql: fixSql, placement: "separate" }, note: "This migration has already run, so the index is a new migration of its own, not an edit of this one." }
    : placeFix(context.statements, fk.location, fixSql);
  if (placed.note) paragraphs.push(placed.note);

  return {
    rule: "fk-index",
    severity,
    table: child,
    columns: [...fk.columns],
    message: partial && !fk.applicationOnly
      ? `Foreign key ${childLabel}(${fkCols}) → ${referenced} is checked through ${partial.index.name}, which covers ${partial.bound.join(", ")} only, so each delete or key update on ${parentLabel} reads every ${childLabel} row with that ${partial.bound.join(", ")}.`
      : fk.applicationOnly
      ? `Relation ${childLabel}(${fkCols}) → ${referenced} is enforced by the application (relationMode = "prisma", no foreign key in the database) and has no index on ${childLabel}(${fkCols}), so relation reads and deletes on ${parentLabel} scan ${childLabel}.`
      : `Foreign key ${childLabel}(${fkCols}) → ${referenced} has no index on ${childLabel}(${fkCols}), so deletes and key updates on ${parentLabel} scan ${childLabel}.`,
    summary: partial && !fk.applicationOnly
      ? `${softDelete ? "Key updates" : "Deletes"} on ${parentLabel} read all of one ${partial.bound.join(", ")}'s rows in ${childLabel} (${partial.index.name} covers ${partial.bound.join(", ")}, not ${rest(fk, partial)}): add ${name}.`
      : fk.applicationOnly
      ? `Relation reads and deletes on ${parentLabel} scan ${childLabel} (no index on ${fkCols}): add ${name}.`
      : `${softDelete ? "Key updates" : "Deletes"} on ${parentLabel} scan ${childLabel} (no index on ${fkCols}): add ${name}.`,
    details: paragraphs.join("\n\n"),
    location: fk.location,
    key: `${parent}(${fk.references.columns.join(",")})`,
    fix: placed.fix,
  };
}

// ---- Relations the application enforces (Prisma relationMode = "prisma"): no constraint, so no check by
// PostgreSQL, but Prisma Client reads the child by these columns and emulates the referential actions with
// queries of its own. Source: Prisma docs, "Relation mode" (indexes on relation scalars under relationMode = "prisma").
function applicationOnlyParagraphs(table: Table, parent: string, child: string, lookup: string): string[] {
  return [
    `With relationMode = "prisma" the database holds no foreign key for this relation, so PostgreSQL creates no index for it and runs no check; Prisma Client does the work with queries of its own, \`SELECT … FROM ${tableRef(table.schema, table.name)} WHERE ${lookup}\` for relation reads (include, relation filters) and for the referential actions it emulates on every delete or key update in ${parent}. ` +
      `Prisma's documentation asks for an index on the relation scalar in this mode; without one each of those queries reads all of ${child}.`,
  ];
}

export const fkIndex: Rule = {
  id: "fk-index",
  description: "Foreign keys with no index on the referencing columns that PostgreSQL's own foreign-key check can use.",
  defaultSeverity: "routine",
  check(context) {
    const findings: FindingDraft[] = [];
    for (const table of context.schema.tables) {
      for (const fk of table.foreignKeys) {
        const finding = checkForeignKey(context, context.schema, table, fk);
        if (finding) findings.push(finding);
      }
    }
    return findings;
  },
};

/**
 * The statement PostgreSQL's RI trigger runs on the referencing table for one parent row (ri_triggers.c):
 * NO ACTION and RESTRICT check with `SELECT 1 ... FOR KEY SHARE`, CASCADE deletes the referencing rows,
 * SET NULL and SET DEFAULT update them. Each one finds the rows by `lookup`.
 */
function riStatement(action: ForeignKey["onDelete"], child: string, columns: string[], lookup: string): string {
  const set = (value: string) => columns.map((c) => `${quoteIdent(c)} = ${value}`).join(", ");
  if (action === "cascade") return `DELETE FROM ONLY ${child} WHERE ${lookup}`;
  if (action === "set null") return `UPDATE ONLY ${child} SET ${set("NULL")} WHERE ${lookup}`;
  if (action === "set default") return `UPDATE ONLY ${child} SET ${set("DEFAULT")} WHERE ${lookup}`;
  return `SELECT 1 FROM ONLY ${child} WHERE ${lookup} FOR KEY SHARE`;
}
