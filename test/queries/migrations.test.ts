import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern } from "../../src/core/types.js";
import { patternsFromMigrations } from "../../src/queries/migration-sql.js";
import { initParser } from "../../src/sql/parser.js";
import { predicatesOf, statementsOf } from "./helpers.js";

beforeAll(() => initParser());

const path = "migrations/001_functions.sql";
function patterns(): AccessPattern[] {
  return patternsFromMigrations(statementsOf(path, readFileSync(`test/fixtures/code/${path}`, "utf8")));
}

describe("queries inside migrations", () => {
  it("reads a PL/pgSQL body: function parameters and variables are parameters, and a FOR loop's body runs per row", () => {
    const found = patterns().filter((p) => p.functionName === "get_org_call_stats");
    expect(found.map((p) => `${p.kind} ${p.table}`)).toEqual(["select users", "update invites", "select invites", "select public.call_logs"]);
    const [users, invites, stale, calls] = found;
    expect(found.every((p) => p.source === "plpgsql")).toBe(true);
    expect(predicatesOf(users)).toEqual(["organization_id eq param"]);
    expect(users.inLoop).toBe(false);
    expect(predicatesOf(invites)).toEqual(["email eq param", "accepted_at is-null literal"]);
    expect(invites).toMatchObject({ inLoop: true, loop: { kind: "FOR ... IN query LOOP", line: 14 } });
    expect(invites.location).toMatchObject({ file: path, line: 15 });
    expect(predicatesOf(calls)).toEqual(["organization_id eq param", "created_at range>= param"]);
    expect(calls.location.line).toBe(20);
    // An IF EXISTS (...) condition is a query too.
    expect(predicatesOf(stale)).toEqual(["expires_at range< param", "accepted_at is-null literal"]);
    expect(stale.location.line).toBe(17);
  });

  it("reads LANGUAGE sql bodies, quoted and BEGIN ATOMIC", () => {
    const [byEmail] = patterns().filter((p) => p.functionName === "user_by_email");
    expect(predicatesOf(byEmail)).toEqual(["(lower(email)) eq param"]);
    const [orgUsers] = patterns().filter((p) => p.functionName === "org_users");
    expect(predicatesOf(orgUsers)).toEqual(["organization_id eq param"]);
    expect(orgUsers.orderBy).toEqual([{ column: "email", descending: false, nullsFirst: null }]);
  });

  it("reads a view's query with its literal constants", () => {
    const [view] = patterns().filter((p) => p.source === "view");
    expect(view).toMatchObject({ table: "invites", functionName: "pending_invites" });
    expect(predicatesOf(view)).toEqual(["accepted_at is-null literal", "expires_at range> '2025-01-01' literal"]);
  });

  it("reads pg_cron jobs: the example application's invite clean-up, named, and an unnamed job", () => {
    const cron = patterns().filter((p) => p.source === "cron");
    expect(cron.map((p) => `${p.kind} ${p.table} ${p.functionName ?? "-"}`)).toEqual([
      "delete public.invites cleanup-expired-invites",
      "delete call_logs -",
    ]);
    // now() is evaluated at run time: usable as an index bound, not provable against a partial predicate.
    expect(predicatesOf(cron[0])).toEqual(["expires_at range< param", "accepted_at is-null literal"]);
    expect(cron[0].location).toMatchObject({ file: path, line: 39 });
    expect(predicatesOf(cron[1])).toEqual(["created_at range< param"]);
  });
});
