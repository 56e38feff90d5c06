// The app's pure helpers: command parsing, comment placement, bookkeeping of overlapping audits.
import { describe, expect, it } from "vitest";
import { canTrigger, parseCommand } from "../../src/app/commands.js";
import { fixForFile, placeFinding, statementEndLine } from "../../src/app/placement.js";
import { isAuditInput } from "../../src/app/relevance.js";
import { RecentKeys, RunRegistry } from "../../src/app/runs.js";
import { DEFAULT_CONFIG, resolveConfig } from "../../src/core/config.js";
import type { Finding } from "../../src/core/types.js";
import { parsePatch, type ChangedFile } from "../../src/source/github-source.js";
import { initParser } from "../../src/sql/parser.js";

describe("slash commands", () => {
  it("reads /audit, /audit full and /audit help on a line of their own", () => {
    expect(parseCommand("/audit")).toEqual({ kind: "audit" });
    expect(parseCommand("Please look again\n  /audit full  ")).toEqual({ kind: "full" });
    expect(parseCommand("/AUDIT help")).toEqual({ kind: "help" });
    expect(parseCommand("/audit sideways")).toEqual({ kind: "help" });
    expect(parseCommand("I will /audit later")).toBeNull();
    expect(parseCommand("/auditing")).toBeNull();
  });

  it("lets write, maintain and admin run; read and none not", () => {
    expect(canTrigger("write", "write")).toBe(true);
    expect(canTrigger("write", "maintain")).toBe(true);
    expect(canTrigger("admin")).toBe(true);
    expect(canTrigger("read", "triage")).toBe(false);
    expect(canTrigger("none")).toBe(false);
  });
});

describe("comment placement", () => {
  const text = [
    "create table call_logs (",
    "  id uuid primary key,",
    "  site_id uuid references sites (id)",
    ");",
    "alter table call_logs add constraint fk foreign key (site_id) references sites (id);",
  ].join("\n");
  const finding = (line: number): Finding => ({
    id: "f1",
    rule: "fk-index",
    severity: "important",
    table: "public.call_logs",
    columns: ["site_id"],
    message: "m",
    location: { file: "m.sql", line, column: 3 },
    fix: { sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_logs_site_id ON call_logs (site_id);" },
  });
  const newFile = (patch: string): ChangedFile => ({ path: "m.sql", status: "added", hasPatch: true, ...parsePatch(patch) });

  it("finds the end of the statement holding a line", async () => {
    await initParser();
    expect(statementEndLine(text, 3)).toBe(4);
    expect(statementEndLine(text, 5)).toBe(5);
  });

  it("spans an inline FK's statement and repeats its lines before the fix", async () => {
    await initParser();
    const patch = "@@ -0,0 +1,5 @@\n" + text.split("\n").map((l) => "+" + l).join("\n");
    const placement = placeFinding(finding(3), newFile(patch), text)!;
    expect(placement).toMatchObject({ path: "m.sql", startLine: 3, line: 4 });
    expect(placement.suggestion).toEqual([
      "  site_id uuid references sites (id)",
      ");",
      // The table is created in this file: CONCURRENTLY would fail in the file's transaction.
      "CREATE INDEX IF NOT EXISTS idx_call_logs_site_id ON call_logs (site_id);",
    ]);
  });

  it("places nothing on a line outside the hunks, and no suggestion past the hunk", async () => {
    await initParser();
    expect(placeFinding(finding(3), newFile("@@ -1,1 +5,1 @@\n+x"), text)).toBeNull();
    const onlyLine3 = newFile("@@ -3,1 +3,1 @@\n-old\n+  site_id uuid references sites (id)");
    expect(placeFinding(finding(3), onlyLine3, text)).toEqual({ path: "m.sql", line: 3 });
  });

  it("lets a rewritten statement stand in for the original, and leaves a separate change out of the suggestion", async () => {
    await initParser();
    const migration = ["create index idx_users_email", "  on users (email);", "select 1;"].join("\n");
    const patch = "@@ -0,0 +1,3 @@\n" + migration.split("\n").map((l) => "+" + l).join("\n");
    const locking: Finding = {
      ...finding(1),
      rule: "index-locking",
      table: "public.users",
      columns: ["email"],
      location: { file: "m.sql", line: 1, column: 1 },
      fix: { sql: "create index concurrently idx_users_email\n  on users (email);", placement: "replace" },
    };
    const placement = placeFinding(locking, newFile(patch), migration)!;
    expect(placement).toMatchObject({ path: "m.sql", startLine: 1, line: 2, suggestionReplaces: true });
    expect(placement.suggestion).toEqual(["create index concurrently idx_users_email", "  on users (email);"]);
    const separate: Finding = { ...locking, fix: { sql: "CREATE TABLE x (id int);", placement: "separate" } };
    expect(placeFinding(separate, newFile(patch), migration)).toEqual({ path: "m.sql", line: 1 });
  });

  it("keeps CONCURRENTLY for a table made elsewhere", () => {
    expect(fixForFile(finding(1), "alter table call_logs add column x int;")).toContain("CONCURRENTLY");
  });
});

describe("what the audit reads", () => {
  it("counts SQL, code and migration metadata, not docs or vendored folders", () => {
    expect(isAuditInput("supabase/migrations/1_a.sql", DEFAULT_CONFIG)).toBe(true);
    expect(isAuditInput("apps/web/src/calls.ts", DEFAULT_CONFIG)).toBe(true);
    expect(isAuditInput("drizzle/meta/_journal.json", DEFAULT_CONFIG)).toBe(true);
    expect(isAuditInput("README.md", DEFAULT_CONFIG)).toBe(false);
    expect(isAuditInput("node_modules/pg/index.js", DEFAULT_CONFIG)).toBe(false);
    const scoped = resolveConfig({ code: { paths: ["apps/server"] } });
    expect(isAuditInput("apps/web/src/calls.ts", scoped)).toBe(false);
    expect(isAuditInput("apps/server/src/calls.ts", scoped)).toBe(true);
  });
});

describe("bookkeeping", () => {
  it("remembers recent keys within its capacity", () => {
    const keys = new RecentKeys(2);
    expect(keys.add("a")).toBe(true);
    expect(keys.add("a")).toBe(false);
    keys.add("b");
    keys.add("c");
    expect(keys.has("a")).toBe(false);
  });

  it("waits for running work, including work started while waiting", async () => {
    const registry = new RunRegistry();
    const done: string[] = [];
    registry.track(
      (async () => {
        await new Promise((r) => setImmediate(r));
        done.push("first");
        registry.track((async () => {
          await new Promise((r) => setImmediate(r));
          done.push("second");
        })());
      })(),
    );
    await registry.idle();
    expect(done).toEqual(["first", "second"]);
  });
});
