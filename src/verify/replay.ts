// Replays a migration set into PGlite one statement at a time, in the framework's apply order, as the
// deploy would run it. What PostgreSQL refuses is kept with its own message; what fails only because
// the verifier lacks something (an extension PGlite does not ship, a role created outside the
// migrations, an earlier statement that did not replay) is skipped and listed instead.
import type { PGlite } from "@electric-sql/pglite";
import type { Framework, Location, Statement } from "../core/types.js";
import { shipsExtension } from "./engine.js";
import { SUPABASE_PREINSTALLED, SUPABASE_STAND_INS, missingExtension, wantsSupabase, withoutVectorModifiers, type MissingExtension } from "./platform.js";

/** A statement PostgreSQL refused during the replay: a deploy of these migrations would stop there. */
export interface ReplayFailure {
  statement: Statement;
  /** PostgreSQL's own message, e.g. `column "tagid" does not exist`. */
  message: string;
  /** SQLSTATE, when the server gave one. */
  code?: string;
}

/** A statement left out of the replay, and why (never the user's error). */
export interface ReplaySkip {
  location: Location;
  reason: string;
}

export interface ReplayOutcome {
  failures: ReplayFailure[];
  skipped: ReplaySkip[];
  /** What the stage put in place of the platform or a missing extension, one line each. */
  standIns: string[];
  /** Statements sent to the server. */
  statements: number;
}

// The file's own BEGIN / COMMIT are left out: each statement runs on its own, so one refusal does not
// abort the statements after it. COPY ... FROM stdin carries data the statement list does not hold.
const NOT_REPLAYED = new Set(["TransactionStmt", "CopyStmt"]);

function lastName(nodes: any[] | undefined): string | undefined {
  const last = nodes?.[nodes.length - 1];
  return last?.String?.sval;
}

/** Names (tables, columns, indexes, types, functions, schemas) a statement would have created. */
function namesCreated(ast: Record<string, any>): string[] {
  const out: string[] = [];
  const push = (n: unknown) => typeof n === "string" && out.push(n.toLowerCase());
  const s = ast;
  push(s.CreateStmt?.relation?.relname);
  for (const e of s.CreateStmt?.tableElts ?? []) push(e.ColumnDef?.colname);
  push(s.IndexStmt?.idxname);
  push(s.ViewStmt?.view?.relname);
  push(s.CreateTableAsStmt?.into?.rel?.relname);
  push(lastName(s.CreateFunctionStmt?.funcname));
  push(s.CompositeTypeStmt?.typevar?.relname);
  push(lastName(s.CreateEnumStmt?.typeName));
  push(lastName(s.CreateDomainStmt?.domainname));
  push(s.CreateSchemaStmt?.schemaname);
  push(s.CreateExtensionStmt?.extname);
  push(s.CreateTrigStmt?.trigname);
  push(s.CreateSeqStmt?.sequence?.relname);
  push(s.CreatePolicyStmt?.policy_name);
  for (const cmd of s.AlterTableStmt?.cmds ?? []) {
    push(cmd.AlterTableCmd?.def?.ColumnDef?.colname);
    push(cmd.AlterTableCmd?.def?.Constraint?.conname);
  }
  push(s.RenameStmt?.newname);
  return out;
}

/** Names an error message quotes: `relation "x" does not exist` -> x. */
function quotedNames(message: string): string[] {
  return [...message.matchAll(/"([^"]+)"/g)].map((m) => m[1].toLowerCase().split(".").pop()!);
}

export interface ReplayOptions {
  framework: Framework;
  /**
   * Set when an ORM schema (schema.prisma, Drizzle pgTable) declares tables these migrations never
   * create: the migrations are incomplete (the rest was pushed from the declaration), so a statement
   * refused only because a relation or type is missing is not the user's error. `orm` names it, `tables`
   * lists the tables it adds (`schema.table`).
   */
  declared?: { orm: string; tables: string[] };
}

/** undefined_table, undefined_object: a relation or type the statement names does not exist. */
const MISSING_OBJECT = new Set(["42P01", "42704"]);

/**
 * Lays out the stand-ins and runs every statement. Never throws for a statement the server refuses;
 * throws only when the server itself fails.
 */
export async function replayStatements(db: PGlite, statements: readonly Statement[], options: ReplayOptions): Promise<ReplayOutcome> {
  const outcome: ReplayOutcome = { failures: [], skipped: [], standIns: [], statements: 0 };
  if (wantsSupabase(options.framework, statements)) {
    await db.exec(SUPABASE_STAND_INS);
    for (const name of SUPABASE_PREINSTALLED) await db.exec(`CREATE EXTENSION IF NOT EXISTS "${name}" WITH SCHEMA extensions`);
    outcome.standIns.push("Supabase platform: auth.users, auth.uid(), auth.jwt(), auth.role(), storage.objects, storage.buckets, storage.foldername(), realtime.messages, standard roles");
  }
  const missing = new Map<string, MissingExtension>();
  /** Lower-cased names that statements which did not replay would have created, with where. */
  const lost = new Map<string, Location>();
  const loseNames = (statement: Statement) => {
    for (const n of namesCreated(statement.ast)) if (!lost.has(n)) lost.set(n, statement.location);
  };

  for (const statement of statements) {
    const kind = Object.keys(statement.ast)[0];
    if (statement.fromDoBlock || NOT_REPLAYED.has(kind)) continue;
    const extension = statement.ast.CreateExtensionStmt?.extname?.toLowerCase();
    if (extension && !shipsExtension(extension)) {
      const standIn = missingExtension(extension);
      missing.set(extension, standIn);
      if (standIn.standIn) await db.exec(standIn.standIn);
      outcome.standIns.push(`extension ${extension}: not available in the verifier${standIn.standIn ? `; stand-in: ${standIn.standIn.replace(/^DO \$\$ BEGIN |; EXCEPTION.*$/g, "")}` : ""}`);
      outcome.skipped.push({ location: statement.location, reason: `extension ${extension} is not available in the verifier` });
      continue;
    }
    outcome.statements++;
    let error = await run(db, statement.sql);
    if (error && missing.has("vector") && /\b(vector|halfvec|sparsevec)\s*\(/i.test(statement.sql)) {
      error = await run(db, withoutVectorModifiers(statement.sql));
    }
    if (!error) continue;
    const needs = [...missing.entries()].find(([, m]) => m.marks.test(statement.sql));
    if (needs) {
      outcome.skipped.push({ location: statement.location, reason: `needs extension ${needs[0]}: ${error.message}` });
      loseNames(statement);
      continue;
    }
    const dependsOn = quotedNames(error.message).map((n) => lost.get(n)).find(Boolean);
    if (dependsOn) {
      outcome.skipped.push({ location: statement.location, reason: `depends on ${dependsOn.file}:${dependsOn.line}, which did not replay: ${error.message}` });
      loseNames(statement);
      continue;
    }
    if (options.declared && error.code && MISSING_OBJECT.has(error.code) && !/^role "/.test(error.message)) {
      const added = options.declared.tables.length;
      outcome.skipped.push({
        location: statement.location,
        reason: `${error.message}: the ${options.declared.orm} schema declares ${added} table${added === 1 ? "" : "s"} these migrations never create, and the verifier replays only the migrations`,
      });
      loseNames(statement);
      continue;
    }
    if (error.code === "42704" && /^role "/.test(error.message)) {
      outcome.skipped.push({ location: statement.location, reason: `${error.message} (a role created outside the migrations)` });
      continue;
    }
    outcome.failures.push({ statement, message: error.message, ...(error.code ? { code: error.code } : {}) });
    loseNames(statement);
  }
  return outcome;
}

async function run(db: PGlite, sql: string): Promise<{ message: string; code?: string } | null> {
  try {
    await db.exec(sql);
    return null;
  } catch (error) {
    const e = error as { message?: string; code?: string };
    // A refused statement inside a function body or DO block may leave a transaction open.
    await db.exec("ROLLBACK").catch(() => {});
    return { message: e.message ?? String(error), ...(e.code ? { code: e.code } : {}) };
  }
}
