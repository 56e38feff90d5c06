import { existsSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../src/core/findings.js";
import type { AccessPattern, FindingDraft } from "../../src/core/types.js";
import { ALL_RULES } from "../../src/rules/index.js";
import type { Rule } from "../../src/rules/rule.js";
import { runRules } from "../../src/rules/run.js";
import { initParser } from "../../src/sql/parser.js";
import { buildInput, config, type FixtureFile } from "./helpers.js";

const SCHEMA = [
  "CREATE TABLE orgs (id int PRIMARY KEY);",
  "CREATE TABLE sites (id int PRIMARY KEY, org_id int REFERENCES orgs (id) ON DELETE CASCADE);",
  "CREATE TABLE call_logs (",
  "  id int PRIMARY KEY,",
  "  org_id int REFERENCES orgs (id),",
  "  site_id int REFERENCES sites (id)",
  ");",
].join("\n");

function run(files: FixtureFile[] | string, cfg: unknown = {}, rules?: Rule[]) {
  const list = typeof files === "string" ? [{ path: "m/001.sql", sql: files }] : files;
  return runRules([buildInput(list)], [], config(cfg), false, rules);
}

beforeAll(async () => {
  await initParser();
});

describe("runRules", () => {
  it("runs every rule and sorts findings by severity, then file and line", () => {
    const findings = run([
      { path: "m/001.sql", sql: SCHEMA },
      { path: "m/002.sql", sql: "CREATE TABLE notes (body text);\nCREATE INDEX call_logs_id ON call_logs (id);" },
    ]);
    expect(findings.map((f) => `${f.severity} ${f.rule} ${f.location.file}:${f.location.line}`)).toEqual([
      "routine fk-index m/001.sql:2",
      "routine fk-index m/001.sql:5",
      "routine fk-index m/001.sql:6",
      "routine missing-primary-key m/002.sql:1",
      "routine index-locking m/002.sql:2",
      "routine redundant-index m/002.sql:2",
    ]);
    expect(findings.every((f) => /^[0-9a-f]{16}$/.test(f.id) && f.set === undefined)).toBe(true);
    expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length);
  });

  it("applies configured severities and turns rules off", () => {
    const noted = run(SCHEMA, { rules: { "fk-index": "noted" } });
    expect(noted.filter((f) => f.rule === "fk-index").map((f) => f.severity)).toEqual(["noted", "noted", "noted"]);
    const raised = run(SCHEMA, { rules: { "fk-index": { severity: "important" } } });
    expect(raised.filter((f) => f.rule === "fk-index").every((f) => f.severity === "important")).toBe(true);
    expect(run(SCHEMA, { rules: { "fk-index": "off" } }).filter((f) => f.rule === "fk-index")).toEqual([]);
  });

  it("drops findings matched by ignore entries: rule, bare or qualified table, columns in any order", () => {
    const tables = (cfg: unknown) => run(SCHEMA, cfg).map((f) => `${f.table}(${f.columns.join(",")})`);
    expect(tables({ ignore: [{ rule: "fk-index", table: "call_logs" }] })).toEqual(["public.sites(org_id)"]);
    expect(tables({ ignore: [{ rule: "fk-index", table: "public.call_logs", columns: ["site_id"], reason: "rarely queried" }] })).toEqual([
      "public.sites(org_id)",
      "public.call_logs(org_id)",
    ]);
    expect(tables({ ignore: [{ rule: "fk-index", table: "other.call_logs" }] })).toHaveLength(3);
    expect(tables({ ignore: [{ rule: "redundant-index", table: "call_logs" }] })).toHaveLength(3);
    expect(tables({ ignore: [{ rule: "fk-index" }] })).toEqual([]);
  });

  it("honours suppression comments before a statement, inside it, and on the same line, for the named rule only", () => {
    const before = "-- index-audit-ignore fk-index: tiny lookup table\n" + SCHEMA.replace("CREATE TABLE call_logs", "CREATE TABLE call_logs_x");
    expect(run(before).filter((f) => f.rule === "fk-index").map((f) => f.table)).toEqual(["public.sites", "public.call_logs_x", "public.call_logs_x"]);

    const aboveStatement = SCHEMA.replace("CREATE TABLE call_logs (", "-- index-audit-ignore fk-index: reviewed, the table stays small\nCREATE TABLE call_logs (");
    expect(run(aboveStatement).filter((f) => f.rule === "fk-index").map((f) => f.table)).toEqual(["public.sites"]);

    const wrongRule = SCHEMA.replace("CREATE TABLE call_logs (", "-- index-audit-ignore redundant-index: not this one\nCREATE TABLE call_logs (");
    expect(run(wrongRule).filter((f) => f.rule === "fk-index")).toHaveLength(3);

    const sameLine = [
      { path: "m/001.sql", sql: SCHEMA },
      { path: "m/002.sql", sql: "CREATE INDEX call_logs_site ON call_logs (site_id); -- index-audit-ignore index-locking: table is empty in production" },
    ];
    expect(run(sameLine).filter((f) => f.rule === "index-locking")).toEqual([]);
  });

  it("honours a suppression inside a statement on the line before the finding", () => {
    // A rule that reports at the line of each column definition, as a model with per-clause locations would.
    const perLine: Rule = {
      id: "column-check",
      description: "test rule",
      defaultSeverity: "routine",
      check: () => [5, 6].map((line) => ({ rule: "column-check", severity: "routine", table: "public.call_logs", columns: [String(line)], message: "m", location: { file: "m/001.sql", line, column: 3 } })),
    };
    const sql = SCHEMA.replace("  site_id int", "  -- index-audit-ignore fk-index, column-check: fine here\n  site_id int");
    expect(run(sql, {}, [perLine]).map((f) => f.location.line)).toEqual([5]);
    // The foreign key is located on its own line, so the comment above it silences that key only.
    expect(run(sql).filter((f) => f.rule === "fk-index").map((f) => f.columns)).toEqual([["org_id"], ["org_id"]]);
  });

  it("honours suppressions carried by access patterns at the finding's line", () => {
    const input = buildInput([{ path: "m/001.sql", sql: SCHEMA }]);
    const pattern: AccessPattern = {
      table: "call_logs",
      kind: "select",
      predicates: [],
      hasOr: false,
      orderBy: [],
      limited: false,
      joins: [],
      inLoop: false,
      source: "supabase-js",
      location: { file: "src/calls.ts", line: 12, column: 5 },
      suppressions: [{ rule: "query-check", reason: "admin only", location: { file: "src/calls.ts", line: 11, column: 3 } }],
    };
    input.patterns.push(pattern);
    const queryRule: Rule = {
      id: "query-check",
      description: "test rule",
      defaultSeverity: "routine",
      check: (ctx) => ctx.patterns.map((p) => ({ rule: "query-check", severity: "routine", table: "public.call_logs", columns: [], message: "m", location: p.location })),
    };
    expect(runRules([input], [], config(), false, [queryRule])).toEqual([]);
    pattern.suppressions = [];
    expect(runRules([input], [], config(), false, [queryRule])).toHaveLength(1);
  });

  it("keeps each finding's id when lines move", () => {
    const first = run(SCHEMA);
    const shifted = run("-- a comment\n\n\n" + SCHEMA.replace("CREATE TABLE call_logs (", "-- the call log\nCREATE TABLE call_logs ("));
    expect(shifted.map((f) => f.location.line)).not.toEqual(first.map((f) => f.location.line));
    expect(shifted.map((f) => f.id).sort()).toEqual(first.map((f) => f.id).sort());
  });

  it("names the set and makes ids distinct per set when the repository has several", () => {
    const a = { ...buildInput([{ path: "a/001.sql", sql: SCHEMA }], { name: "apps/a/migrations" }) };
    const b = { ...buildInput([{ path: "b/001.sql", sql: SCHEMA }], { name: "apps/b/migrations" }) };
    const findings = runRules([a, b], [], config(), true);
    expect(findings.filter((f) => f.set === "apps/a/migrations")).toHaveLength(3);
    expect(findings.filter((f) => f.set === "apps/b/migrations")).toHaveLength(3);
    expect(new Set(findings.map((f) => f.id)).size).toBe(6);
  });

  it("reports repository-wide problems with the first set, and with no set at all", () => {
    const problem = { message: "supabase/config.toml: cannot be read", location: { file: "supabase/config.toml", line: 1, column: 1 } };
    const withSet = runRules([buildInput([{ path: "m/001.sql", sql: "CREATE TABLE a (id int PRIMARY KEY);" }])], [problem], config(), false);
    expect(withSet.map((f) => f.rule)).toEqual(["parse-error"]);
    const alone = runRules([], [problem], config(), false);
    expect(alone).toHaveLength(1);
    expect(alone[0]).toMatchObject({ rule: "parse-error", location: problem.location, message: problem.message });
  });

  it("keeps the first of two findings with the same id, withholds a fix that does not parse, and survives a failing rule", () => {
    const base: FindingDraft = { rule: "dup", severity: "routine", table: "public.t", columns: ["a", "b"], message: "first", location: { file: "x.sql", line: 1, column: 1 }, fix: { sql: "CREATE INDEX ON t (a, b);" } };
    const dup: Rule = { id: "dup", description: "", defaultSeverity: "routine", check: () => [base, { ...base, columns: ["b", "a"], message: "second", location: { file: "x.sql", line: 9, column: 1 } }] };
    const badFix: Rule = { id: "bad-fix", description: "", defaultSeverity: "routine", check: () => [{ ...base, rule: "bad-fix", fix: { sql: "CREATE INDEX ON (;" } }] };
    const broken: Rule = {
      id: "broken",
      description: "",
      defaultSeverity: "routine",
      check: () => {
        throw new Error("boom");
      },
    };
    const findings = run("CREATE TABLE t (a int PRIMARY KEY, b int);", {}, [dup, broken, badFix]);
    expect(findings.map((f) => [f.rule, f.message.slice(0, 40)])).toEqual([
      ["bad-fix", "first"],
      ["dup", "first"],
      ["broken", "The broken rule stopped with an internal"],
    ]);
    expect(findings[0].fix).toBeUndefined();
    expect(findings[1].fix?.sql).toBe("CREATE INDEX ON t (a, b);");
    expect(findings[2].severity).toBe("noted");
  });

  it("registers every rule once, each with its doc page", () => {
    const ids = ALL_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(["fk-index", "redundant-index", "index-locking", "missing-primary-key", "parse-error", "partition-candidate"]));
    for (const id of [...ids, "query-index", "n-plus-one", "unbounded-query"]) {
      const page = new URL(`../../docs/rules/${id}.md`, import.meta.url);
      expect(existsSync(page), `docs/rules/${id}.md`).toBe(true);
      expect(readFileSync(page, "utf8").startsWith(`# ${id}\n`)).toBe(true);
    }
  });
});

describe("fingerprint", () => {
  const draft: FindingDraft = { rule: "fk-index", severity: "routine", table: "public.call_logs", columns: ["a", "b"], message: "m", location: { file: "f.sql", line: 3, column: 1 } };

  it("ignores line, message, severity and column order, and tells rule, table, columns, key and set apart", () => {
    const id = fingerprint(draft);
    expect(fingerprint({ ...draft, location: { file: "f.sql", line: 90, column: 4 }, message: "other", severity: "important", columns: ["b", "a"] })).toBe(id);
    for (const changed of [{ rule: "redundant-index" }, { table: "public.sites" }, { columns: ["a"] }, { key: "public.orgs(id)" }]) {
      expect(fingerprint({ ...draft, ...changed })).not.toBe(id);
    }
    expect(fingerprint(draft, "apps/a")).not.toBe(id);
  });
});

describe("runRules: one recommendation per index", () => {
  const LOGS = [
    "CREATE TABLE sites (id int PRIMARY KEY);",
    "CREATE TABLE call_logs (id int PRIMARY KEY, site_id int REFERENCES sites (id) ON DELETE CASCADE, created_at timestamptz);",
  ].join("\n");
  const bySite = (line: number, functionName: string): AccessPattern => ({
    table: "call_logs",
    kind: "select",
    predicates: [{ column: "site_id", op: "eq", sentAs: "param" }],
    hasOr: false,
    orderBy: [{ column: "created_at", descending: true, nullsFirst: null }],
    limited: true,
    joins: [],
    inLoop: false,
    source: "sql-in-code",
    functionName,
    location: { file: "src/logs.ts", line, column: 1 },
    suppressions: [],
  });
  const deleteSites: AccessPattern = { ...bySite(90, "removeSite"), table: "sites", kind: "delete", predicates: [{ column: "id", op: "eq", sentAs: "param" }], orderBy: [], limited: false };
  // The code logs calls and never edits them: call_logs grows, which makes the foreign key IMPORTANT.
  const logCall: AccessPattern = { ...bySite(95, "logCall"), kind: "insert", predicates: [], orderBy: [], limited: false };

  function audit(patterns: AccessPattern[], rules?: Rule[]) {
    return runRules([{ ...buildInput([{ path: "m/001.sql", sql: LOGS }]), patterns }], [], config(), false, rules);
  }

  it("fk-index and query-index recommending the same index become one finding with both reasons and the call sites", () => {
    const findings = audit([bySite(10, "recentCalls"), bySite(20, "lastCall"), deleteSites, logCall]);
    const onLogs = findings.filter((f) => f.table === "public.call_logs");
    expect(onLogs).toHaveLength(1);
    const [one] = onLogs;
    expect(one.rule).toBe("query-index");
    expect(one.fix!.sql).toMatch(/\(site_id, created_at DESC\)/);
    expect(one.message).toMatch(/The same index covers foreign key call_logs\(site_id\) → sites\(id\)\.$/);
    expect(one.details).toContain("Foreign key call_logs(site_id) → sites(id): IMPORTANT because the code deletes sites rows (src/logs.ts:90)");
    expect([one.location, ...(one.related ?? [])].map((l) => `${l.file}:${l.line}`)).toEqual(["src/logs.ts:10", "src/logs.ts:20", "m/001.sql:2"]);
    // The higher severity of the two wins; both ids stay findable.
    expect(one.severity).toBe("important");
    const alone = audit([bySite(10, "recentCalls"), deleteSites, logCall], ALL_RULES.filter((r) => r.id === "fk-index"));
    expect(one.merged).toEqual([{ rule: "fk-index", id: alone[0].id, columns: ["site_id"], key: "public.sites(id)", message: alone[0].message }]);
    const queryAlone = audit([bySite(10, "recentCalls"), bySite(20, "lastCall"), deleteSites, logCall], ALL_RULES.filter((r) => r.id === "query-index"));
    expect(one.id).toBe(queryAlone.find((f) => f.table === "public.call_logs")!.id);
  });

  it("a merged finding's text states one severity: each part's own label says it is that part's", () => {
    // The query alone is ROUTINE (no limit, no size hint); the foreign key is IMPORTANT (live delete, growing child).
    const unlimited = { ...bySite(10, "allCalls"), orderBy: [], limited: false };
    const [raised] = audit([unlimited, deleteSites, logCall]).filter((f) => f.table === "public.call_logs");
    expect(raised.severity).toBe("important");
    expect(raised.details!.split("\n\n")[0]).toBe(
      "IMPORTANT because of the foreign key this index also covers (call_logs(site_id) → sites(id), below); the query alone would be ROUTINE.",
    );
    expect(raised.details).toContain("Foreign key call_logs(site_id) → sites(id): IMPORTANT because");
    // The query is IMPORTANT (size hint), the key alone ROUTINE (no cascade, no delete path in the code).
    const plain = LOGS.replace(" ON DELETE CASCADE", "");
    const [kept] = runRules([{ ...buildInput([{ path: "m/001.sql", sql: plain }]), patterns: [bySite(10, "recentCalls")] }], [], config({ tables: { call_logs: { rows: 500_000 } } }), false).filter(
      (f) => f.table === "public.call_logs",
    );
    expect(kept.severity).toBe("important");
    expect(kept.merged).toHaveLength(1);
    expect(kept.details).toContain("Foreign key call_logs(site_id) → sites(id): On its own it would be ROUTINE because");
    expect(kept.details!.match(/ROUTINE because/g)).toHaveLength(1);
  });

  it("keeps both when the query's index does not lead with the foreign key's columns", () => {
    const byTime: AccessPattern = { ...bySite(10, "recent"), predicates: [{ column: "created_at", op: "range", operator: ">=", sentAs: "param" }], orderBy: [] };
    const rules = audit([byTime]).filter((f) => f.table === "public.call_logs").map((f) => f.rule).sort();
    expect(rules).toEqual(["fk-index", "query-index"]);
  });
});

describe("fixes and migrations that already ran", () => {
  const files = (duplicateIn: number) =>
    [0, 1, 2, 3, 4].map((i) => ({
      path: `m/00${i}_step.sql`,
      sql: i === 0 ? "CREATE TABLE t (id int PRIMARY KEY, a int);\nCREATE INDEX t_a ON t (a);\n" : i === duplicateIn ? "CREATE INDEX t_a_again ON t (a);\n" : `SELECT ${i};\n`,
    }));

  it("a fix for a statement in an applied migration goes into a new migration, not after the statement", () => {
    const [settled] = runRules([buildInput(files(1))], [], config({}), false).filter((f) => f.rule === "redundant-index");
    expect(settled.location.file).toBe("m/001_step.sql");
    expect(settled.fix).toMatchObject({ sql: expect.stringContaining("DROP INDEX"), placement: "separate" });
    const [recent] = runRules([buildInput(files(4))], [], config({}), false).filter((f) => f.rule === "redundant-index");
    expect(recent.location.file).toBe("m/004_step.sql");
    expect(recent.fix?.placement).toBeUndefined();
  });
});
