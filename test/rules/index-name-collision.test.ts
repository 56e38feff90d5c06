import { describe, expect, it } from "vitest";
import { indexNameCollision } from "../../src/rules/index-name-collision.js";
import { replaySchema } from "../../src/schema/replay.js";
import { afterBase, buildInput, check, type FixtureFile } from "./helpers.js";
import { pgliteForFile } from "../support/pglite.js";

const BASE = "CREATE TABLE events (id int PRIMARY KEY, account_id int, created_at timestamptz);\n";
const STEM = "events_by_account_and_creation_time_for_the_monthly_usage_report";
/** What PostgreSQL keeps of names that start with STEM (64 bytes): its first 63. */
const KEPT = STEM.slice(0, 63);
// 63 bytes of "é" split a character: PostgreSQL keeps 31 of them (62 bytes).
const ACCENTS = "é".repeat(32);

const files = (sql: string): FixtureFile[] => afterBase(BASE, sql, "m/002_indexes.sql");

const pg = pgliteForFile();

async function indexesOfEvents(sql: string): Promise<string[]> {
  await pg().exec("drop table if exists events cascade;" + BASE + sql);
  return (await pg().query<{ indexname: string }>("select indexname from pg_indexes where tablename = 'events' and indexname <> 'events_pkey' order by 1")).rows.map((r) => r.indexname);
}

describe("index-name-collision", () => {
  const twoIndexes = `CREATE INDEX IF NOT EXISTS ${STEM}_a ON events (account_id);\nCREATE INDEX IF NOT EXISTS ${STEM}_b ON events (created_at);\n`;

  it("reports the second CREATE INDEX IF NOT EXISTS whose name truncates to the first's: PostgreSQL skips it", async () => {
    const [finding, ...rest] = check(indexNameCollision, files(twoIndexes));
    expect(rest).toEqual([]);
    expect(finding.severity).toBe("important");
    expect(finding.location).toMatchObject({ file: "m/002_indexes.sql", line: 2 });
    expect(finding.message).toContain(`"${KEPT}"`);
    expect(finding.message).toContain("never built");
    expect(finding.fix).toEqual({ sql: "CREATE INDEX IF NOT EXISTS idx_events_created_at ON events (created_at);", placement: "replace" });
    // PostgreSQL 18: one index, under the truncated name, on the first statement's column.
    expect(await indexesOfEvents(twoIndexes)).toEqual([KEPT]);
    expect((await pg().query<{ def: string }>(`select pg_get_indexdef('${KEPT}'::regclass) as def`)).rows[0].def).toContain("(account_id)");
    // The fix builds the second index.
    expect(await indexesOfEvents(`CREATE INDEX IF NOT EXISTS ${STEM}_a ON events (account_id);\n${finding.fix!.sql}`)).toEqual([KEPT, "idx_events_created_at"]);
  });

  it("counts bytes, not characters: two 33-character names of two-byte letters collide", async () => {
    const sql = `CREATE INDEX IF NOT EXISTS "${ACCENTS}a" ON events (account_id);\nCREATE INDEX IF NOT EXISTS "${ACCENTS}b" ON events (created_at);\n`;
    const [finding] = check(indexNameCollision, files(sql));
    expect(finding.message).toContain(`"${"é".repeat(31)}"`);
    expect(await indexesOfEvents(sql)).toEqual(["é".repeat(31)]);
  });

  it("reports an index whose name truncates to a UNIQUE constraint's index name: skipped with IF NOT EXISTS, a failure without", async () => {
    const constraint = `ALTER TABLE events ADD CONSTRAINT ${STEM}_key UNIQUE (account_id, created_at);\n`;
    const [skipped] = check(indexNameCollision, files(constraint + `CREATE INDEX IF NOT EXISTS ${STEM}_idx ON events (created_at);`));
    expect(skipped.message).toContain(`the index of constraint ${STEM}_key`);
    expect(await indexesOfEvents(constraint + `CREATE INDEX IF NOT EXISTS ${STEM}_idx ON events (created_at);`)).toEqual([KEPT]);
    const [fails] = check(indexNameCollision, files(constraint + `CREATE INDEX ${STEM}_idx ON events (created_at);`));
    expect(fails.message).toContain(`fails with "relation "${KEPT}" already exists"`);
    await expect(indexesOfEvents(constraint + `CREATE INDEX ${STEM}_idx ON events (created_at);`)).rejects.toThrow(/already exists/);
  });

  it("is silent for the same name written twice, names within 63 bytes, and a name freed by DROP INDEX", () => {
    expect(check(indexNameCollision, files(`CREATE INDEX IF NOT EXISTS ${STEM}_a ON events (account_id);\nCREATE INDEX IF NOT EXISTS ${STEM}_a ON events (account_id);`))).toEqual([]);
    expect(check(indexNameCollision, files("CREATE INDEX IF NOT EXISTS events_a ON events (account_id);\nCREATE INDEX IF NOT EXISTS events_b ON events (created_at);"))).toEqual([]);
    expect(check(indexNameCollision, files(`CREATE INDEX ${STEM}_a ON events (account_id);\nDROP INDEX ${STEM}_a;\nCREATE INDEX ${STEM}_b ON events (created_at);`))).toEqual([]);
  });

  it("in a migration that has run, says the index is missing now and gives it as a new migration", () => {
    const settled = [...files(twoIndexes), ...[3, 4, 5].map((n) => ({ path: `m/00${n}_more.sql`, sql: "SELECT 1;" }))];
    const [finding] = check(indexNameCollision, settled);
    expect(finding.severity).toBe("important");
    expect(finding.fix?.placement).toBe("separate");
    expect(finding.details).toContain("has no such index now");
  });

  it("the replayed schema names and skips indexes as PostgreSQL does", async () => {
    const input = buildInput(files(twoIndexes));
    const events = replaySchema(input.statements).tables.find((t) => t.name === "events")!;
    const names = events.indexes.map((i) => i.name).filter((n) => n !== "events_pkey");
    expect(names).toEqual(await indexesOfEvents(twoIndexes));
    expect(events.indexes.find((i) => i.name === KEPT)!.keys.map((k) => k.column)).toEqual(["account_id"]);
  });
});
