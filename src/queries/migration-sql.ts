// Queries that live inside migrations: function bodies (PL/pgSQL and SQL), views, pg_cron jobs.
import type { AccessPattern, InputProblem, Location, PatternSource, Statement } from "../core/types.js";
import { parsePlpgsql, parseSql } from "../sql/parser.js";
import { formatTypeName } from "../schema/type-name.js";
import { patternsFromStatement } from "./sql-patterns.js";

type Node = Record<string, any>;

const LOOKS_LIKE_QUERY = /^\s*\(?\s*(select|with|update|delete|insert)\b/i;
/** A PL/pgSQL body without any of these words has no query LOOKS_LIKE_QUERY or `\bselect\b` could match. */
const MIGHT_HOLD_QUERY = /\b(select|with|update|delete|insert|perform)\b/i;

/** PL/pgSQL statement kinds whose body runs once per iteration. */
const PLPGSQL_LOOPS: Record<string, string> = {
  PLpgSQL_stmt_fors: "FOR ... IN query LOOP",
  PLpgSQL_stmt_fori: "FOR ... IN range LOOP",
  PLpgSQL_stmt_forc: "FOR ... IN cursor LOOP",
  PLpgSQL_stmt_foreach_a: "FOREACH LOOP",
  PLpgSQL_stmt_while: "WHILE LOOP",
  PLpgSQL_stmt_loop: "LOOP",
  PLpgSQL_stmt_dynfors: "FOR ... IN EXECUTE LOOP",
};

/**
 * Patterns of the queries the migrations leave in the database. A function or view defined again
 * (CREATE OR REPLACE) keeps only its last body, and one dropped (DROP FUNCTION / PROCEDURE / ROUTINE,
 * DROP [MATERIALIZED] VIEW) leaves none, as in the server: a function is known by its schema, name
 * and input argument types (pg_proc's identity), a view by its schema and name. Unqualified names
 * are taken to be in `public`.
 */
export function patternsFromMigrations(statements: Statement[], problems: InputProblem[] = []): AccessPattern[] {
  const defined = new Map<string, AccessPattern[]>();
  let unnamed = 0;
  for (const statement of statements) {
    const dropped = droppedKeys(statement.ast);
    if (dropped) {
      for (const key of [...defined.keys()]) if (dropped.some((d) => (d.endsWith("(") ? key.startsWith(d) : key === d))) defined.delete(key);
      continue;
    }
    const definition = definitionOf(statement.ast);
    // Defined again without OR REPLACE: the server refuses, the first body stays.
    if (definition && defined.has(definition.key) && !definition.replace) continue;
    let patterns: AccessPattern[];
    try {
      patterns = statementPatterns(statement);
    } catch (error) {
      const { file, line } = statement.location;
      problems.push({ message: `${file}:${line}: could not be read for queries: ${(error as Error).message}`, location: statement.location });
      continue;
    }
    const key = definition?.key ?? `#${unnamed++}`;
    defined.delete(key);
    if (patterns.length > 0 || definition) defined.set(key, patterns);
  }
  return [...defined.values()].flat();
}

// ------------------------------------------------------------------ identities of functions and views

/** A routine's identity: schema, name, input argument types (OUT and TABLE columns do not count). */
function routineKey(names: string[], inputTypes: string[] | null): string {
  const name = names[names.length - 1] ?? "";
  const schema = names.length > 1 ? names[names.length - 2] : "public";
  // No argument list (DROP FUNCTION f): every routine of that name; the key prefix matches them all.
  return `routine:${schema}.${name}(${inputTypes === null ? "" : `${inputTypes.join(",")})`}`;
}

function relationKey(relation: Node | undefined): string {
  return `view:${relation?.schemaname ?? "public"}.${relation?.relname ?? ""}`;
}

const OUTPUT_MODES = new Set(["FUNC_PARAM_OUT", "FUNC_PARAM_TABLE"]);
/** The PL/pgSQL compiler option (pl_comp.c), written at the top of a body. */
const USE_COLUMN = /^\s*#variable_conflict\s+use_column\b/im;

function definitionOf(ast: Node): { key: string; replace: boolean } | null {
  if (ast.CreateFunctionStmt) {
    const fn = ast.CreateFunctionStmt;
    const names = (fn.funcname ?? []).map((n: Node) => n.String?.sval).filter(Boolean);
    const inputs = (fn.parameters ?? [])
      .map((p: Node) => p.FunctionParameter)
      .filter((p: Node | undefined) => p && !OUTPUT_MODES.has(p.mode))
      .map((p: Node) => formatTypeName(p.argType));
    return { key: routineKey(names, inputs), replace: Boolean(fn.replace) };
  }
  if (ast.ViewStmt) return { key: relationKey(ast.ViewStmt.view), replace: Boolean(ast.ViewStmt.replace) };
  if (ast.CreateTableAsStmt?.objtype === "OBJECT_MATVIEW") return { key: relationKey(ast.CreateTableAsStmt.into?.rel), replace: false };
  return null;
}

/** Keys a DROP removes (a key ending in `(` stands for every routine of that name), or null for other statements. */
function droppedKeys(ast: Node): string[] | null {
  const drop = ast.DropStmt;
  if (!drop) return null;
  const routine = drop.removeType === "OBJECT_FUNCTION" || drop.removeType === "OBJECT_PROCEDURE" || drop.removeType === "OBJECT_ROUTINE";
  const view = drop.removeType === "OBJECT_VIEW" || drop.removeType === "OBJECT_MATVIEW";
  if (!routine && !view) return null;
  return (drop.objects ?? []).map((object: Node) => {
    if (routine) {
      const owa = object.ObjectWithArgs ?? {};
      const names = (owa.objname ?? []).map((n: Node) => n.String?.sval).filter(Boolean);
      if (owa.args_unspecified) return routineKey(names, null);
      const inputs = owa.objfuncargs
        ? owa.objfuncargs
            .map((p: Node) => p.FunctionParameter)
            .filter((p: Node | undefined) => p && !OUTPUT_MODES.has(p.mode))
            .map((p: Node) => formatTypeName(p.argType))
        : (owa.objargs ?? []).map((t: Node) => formatTypeName(t.TypeName ?? t));
      return routineKey(names, inputs);
    }
    const names = (object.List?.items ?? []).map((n: Node) => n.String?.sval).filter(Boolean);
    return relationKey(names.length > 1 ? { schemaname: names[names.length - 2], relname: names[names.length - 1] } : { relname: names[0] });
  });
}

function statementPatterns(statement: Statement): AccessPattern[] {
  const ast = statement.ast;
  if (ast.CreateFunctionStmt) return functionPatterns(statement, ast.CreateFunctionStmt);
  if (ast.ViewStmt) return patternsFromStatement(ast.ViewStmt.query, context(statement, "view", ast.ViewStmt.view?.relname));
  if (ast.CreateTableAsStmt?.objtype === "OBJECT_MATVIEW") {
    return patternsFromStatement(ast.CreateTableAsStmt.query, context(statement, "view", ast.CreateTableAsStmt.into?.rel?.relname));
  }
  if (ast.SelectStmt) return cronPatterns(statement, ast.SelectStmt);
  return [];
}

function context(statement: Statement, source: PatternSource, functionName?: string, location: Location = statement.location) {
  return { source, location, functionName, suppressions: statement.suppressions };
}

// ------------------------------------------------------------------ pg_cron

/** `SELECT cron.schedule('name', '0 3 * * *', $$ DELETE ... $$)`: the last argument is the job's SQL. */
function cronPatterns(statement: Statement, select: Node): AccessPattern[] {
  const out: AccessPattern[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    const call = (node as Node).FuncCall;
    if (call) {
      const name = (call.funcname ?? []).map((n: Node) => n.String?.sval).join(".");
      if (name === "cron.schedule" || name === "cron.schedule_in_database") {
        const args: Node[] = call.args ?? [];
        const strings = args.map((a) => a.A_Const?.sval?.sval as string | undefined);
        // schedule(name, cron, command) or schedule(cron, command); schedule_in_database(name, cron, command, db)
        const commandIndex = name === "cron.schedule_in_database" ? 2 : args.length - 1;
        const command = strings[commandIndex];
        const jobName = args.length >= 3 ? strings[0] : undefined;
        if (command) out.push(...patternsFromSqlText(command, context(statement, "cron", jobName)));
      }
    }
    for (const value of Object.values(node as Node)) visit(value);
  };
  visit(select.targetList);
  return out;
}

function patternsFromSqlText(sql: string, ctx: ReturnType<typeof context> & { variables?: Set<string> }): AccessPattern[] {
  if (!LOOKS_LIKE_QUERY.test(sql)) return [];
  const outcome = parseSql(sql);
  if (!outcome.ok) return [];
  return outcome.statements.flatMap((s) => patternsFromStatement(s.ast, ctx));
}

// ------------------------------------------------------------------ functions

function option(fn: Node, name: string): Node | undefined {
  return (fn.options ?? []).find((o: Node) => o.DefElem?.defname === name)?.DefElem?.arg;
}

function functionPatterns(statement: Statement, fn: Node): AccessPattern[] {
  const name: string | undefined = (fn.funcname ?? []).map((n: Node) => n.String?.sval).filter(Boolean).pop();
  const language = String(option(fn, "language")?.String?.sval ?? "sql").toLowerCase();
  const params = new Set<string>((fn.parameters ?? []).map((p: Node) => p.FunctionParameter?.name).filter(Boolean));
  const outputs = new Set<string>(
    (fn.parameters ?? []).filter((p: Node) => OUTPUT_MODES.has(p.FunctionParameter?.mode)).map((p: Node) => p.FunctionParameter.name).filter(Boolean),
  );
  const ctx = { ...context(statement, "plpgsql", name), variables: params };

  // BEGIN ATOMIC ... END: the body is already parsed.
  if (fn.sql_body) {
    const out: AccessPattern[] = [];
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (!node || typeof node !== "object") return;
      const n = node as Node;
      if (n.SelectStmt || n.UpdateStmt || n.DeleteStmt || n.InsertStmt) {
        out.push(...patternsFromStatement(n, ctx));
        return;
      }
      Object.values(n).forEach(visit);
    };
    visit(fn.sql_body);
    return out;
  }
  const body: string | undefined = option(fn, "as")?.List?.items?.[0]?.String?.sval;
  if (!body) return [];
  if (language === "sql") return patternsFromSqlText(body, ctx);
  if (language !== "plpgsql") return [];
  // Every query the walk below can read is text of the body (PERFORM's rewritten to SELECT), and only
  // one holding one of these words yields a pattern: without them, the PL/pgSQL parse is not needed.
  if (!MIGHT_HOLD_QUERY.test(body)) return [];

  const parsed = parsePlpgsql(statement.sql);
  // A body the PL/pgSQL compiler rejects (it checks more than the grammar) yields no patterns.
  if (!parsed.ok) return [];
  const bodyStart = statement.sql.indexOf(body);
  const bodyLine = statement.location.line + (bodyStart > 0 ? countLines(statement.sql.slice(0, bodyStart)) : 0);
  const out: AccessPattern[] = [];
  for (const func of parsed.tree?.plpgsql_funcs ?? []) {
    const fnNode = func.PLpgSQL_function;
    if (!fnNode) continue;
    const variables = new Set<string>(params);
    for (const datum of fnNode.datums ?? []) {
      const refname = (Object.values(datum)[0] as Node)?.refname;
      if (refname && !refname.startsWith("(")) variables.add(refname);
    }
    // `#variable_conflict use_column`: a name that is both a variable and a column is the column. The
    // output columns of RETURNS TABLE / OUT parameters are why it is written: in queries they are columns.
    if (USE_COLUMN.test(body)) for (const name of outputs) variables.delete(name);
    walkPlpgsql(fnNode.action, null, (query, lineno, loop) => {
      const line = bodyLine + Math.max(0, (lineno ?? 1) - 1);
      const location: Location = { file: statement.location.file, line, column: 1 };
      const queryCtx = {
        ...context(statement, "plpgsql", name, location),
        variables,
        inLoop: loop !== null,
        ...(loop ? { loop: { kind: loop.kind, line: bodyLine + Math.max(0, loop.lineno - 1) } } : {}),
      };
      // Conditions and assignments (`IF EXISTS (SELECT ...)`, `v := (SELECT ...)`) are expressions.
      const text = LOOKS_LIKE_QUERY.test(query) ? query : /\bselect\b/i.test(query) ? `SELECT ${query}` : null;
      if (text) out.push(...patternsFromSqlText(text, queryCtx));
    });
  }
  return out;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

type Loop = { kind: string; lineno: number } | null;

/** Calls `visit` with every SQL query of a PL/pgSQL tree, its line in the body, and the loop around it. */
function walkPlpgsql(node: unknown, loop: Loop, visit: (query: string, lineno: number | undefined, loop: Loop) => void, lineno?: number): void {
  if (Array.isArray(node)) {
    for (const item of node) walkPlpgsql(item, loop, visit, lineno);
    return;
  }
  if (!node || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node as Node)) {
    if (!value || typeof value !== "object") continue;
    if (key === "PLpgSQL_expr") {
      if (typeof value.query === "string") visit(value.query, lineno, loop);
      continue;
    }
    if (key.startsWith("PLpgSQL_stmt_")) {
      const stmtLine: number | undefined = value.lineno ?? lineno;
      const loopKind = PLPGSQL_LOOPS[key];
      if (loopKind) {
        // The FOR's own query runs once; its body runs per row.
        const inner: Loop = { kind: loopKind, lineno: stmtLine ?? 1 };
        const entries = Object.entries(value as Node);
        for (const [k, v] of entries) if (k !== "body" && k !== "cond") walkPlpgsql(v, loop, visit, stmtLine);
        for (const [k, v] of entries) if (k === "body" || k === "cond") walkPlpgsql(v, inner, visit, stmtLine);
        continue;
      }
      walkPlpgsql(value, loop, visit, stmtLine);
      continue;
    }
    walkPlpgsql(value, loop, visit, lineno);
  }
}
