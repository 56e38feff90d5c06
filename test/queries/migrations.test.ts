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

describe("functions and views replay like the server", () => {
  const read = (sql: string) => patternsFromMigrations(statementsOf("migrations/002_routines.sql", sql));
  const shown = (found: AccessPattern[]) => found.map((p) => `${p.functionName} ${p.table}: ${predicatesOf(p).join(", ")}`);

  it("keeps only the last body of a function defined again with CREATE OR REPLACE", () => {
    const found = read(`
create function calls_of(org bigint) returns setof calls language sql as $$ select * from calls where status = 'open' $$;
create or replace function calls_of(organization integer) returns setof calls language sql as $$ select * from calls where org_id = organization $$;
create or replace function public.calls_of(org int8) returns setof calls language plpgsql as $$
begin
  return query select * from calls where org_id = org and deleted_at is null;
end $$;`);
    // calls_of(integer) is a second function beside calls_of(bigint); public.calls_of(int8) replaces the first.
    expect(shown(found)).toEqual([
      "calls_of calls: org_id eq param",
      "calls_of calls: org_id eq param, deleted_at is-null literal",
    ]);
  });

  it("keeps the first body when the same function is created again without OR REPLACE (the server refuses)", () => {
    const found = read(`
create function f(a int) returns int language sql as $$ select count(*)::int from t where x = a $$;
create function f(b integer) returns int language sql as $$ select count(*)::int from t where y = b $$;`);
    expect(shown(found)).toEqual(["f t: x eq param"]);
  });

  it("forgets the queries of a dropped function, by its input argument types or by name alone", () => {
    const found = read(`
create function by_id(id_in bigint) returns setof calls language sql as $$ select * from calls where id = id_in $$;
create function by_id(token_in text) returns setof calls language sql as $$ select * from calls where token = token_in $$;
create function by_status(s text, out n bigint) language sql as $$ select count(*) from calls where status = s $$;
create procedure purge() language sql as $$ delete from calls where ended_at < now() $$;
drop function by_id(text);
drop function if exists by_status(text, out bigint);
drop routine purge;`);
    expect(shown(found)).toEqual(["by_id calls: id eq param"]);
  });

  it("keeps the last definition of a view and forgets dropped views", () => {
    const found = read(`
create view open_calls as select * from calls where status = 'open';
create or replace view open_calls as select * from calls where status = 'ringing';
create view stale as select * from calls where ended_at is null;
create materialized view totals as select org_id, count(*) from calls where org_id > 0 group by org_id;
drop view stale;
drop materialized view totals;`);
    expect(shown(found)).toEqual(["open_calls calls: status eq 'ringing' literal"]);
  });

  it("reads RETURNS TABLE columns as columns under #variable_conflict use_column", () => {
    const body = (directive: string) => `
create function packages_of(owners bigint[]) returns table (id bigint, owner_id bigint) language plpgsql as $$
${directive}
begin
  return query select p.id, p.owner_id from packages p where owner_id = any(owners);
end $$;`;
    expect(shown(read(body("#variable_conflict use_column")))).toEqual(["packages_of packages: owner_id in param"]);
    // Without it an output column named in a query is the variable (the server rejects a name that is both).
    expect(shown(read(body("")))).toEqual(["packages_of packages: "]);
  });
});
