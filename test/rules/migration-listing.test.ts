// migration-listing: a Drizzle journal or Sqitch plan out of step with its folder is NOTED with what the
// tool would do, not reported as unreadable input.
import { beforeAll, describe, expect, it } from "vitest";
import { migrationListing } from "../../src/rules/migration-listing.js";
import { parseError } from "../../src/rules/parse-error.js";
import { listingAt, problemAt } from "../../src/migrations/frameworks/framework.js";
import { initParser } from "../../src/sql/parser.js";
import { config, schemaOf, setOf } from "../queries/helpers.js";

beforeAll(() => initParser());

function run(problems: ReturnType<typeof problemAt>[]) {
  const context = { set: setOf("db", []), statements: [], schema: schemaOf("CREATE TABLE t (id int PRIMARY KEY);"), patterns: [], problems, config: config() };
  return { listing: migrationListing.check(context), parse: parseError.check(context) };
}

describe("migration-listing", () => {
  it("a Sqitch change missing from the plan is NOTED, keeps its message and place, and is no parse error", () => {
    const message = "deploy/comments.sql is not a change in sqitch.plan: Sqitch does not deploy it; audited after the planned changes";
    const { listing, parse } = run([listingAt("deploy/comments.sql", message), problemAt("db/001.sql", "syntax error at or near \"CREAT\"", 3)]);
    expect(listing.map((f) => `${f.severity} ${f.location.file}:${f.location.line} ${f.message}`)).toEqual([`noted deploy/comments.sql:1 ${message}`]);
    expect(listing[0].details).toContain("sqitch deploy applies only what the plan lists");
    expect(listing[0].details).not.toContain("Fix the syntax");
    expect(parse.map((f) => f.location.file)).toEqual(["db/001.sql"]);
  });
});
