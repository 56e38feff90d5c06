// "room_id is fixed by viewer_id": a key column drops out of the recommended index when another key's row
// carries the same value. That holds only when the schema ties the two: a composite foreign key that carries
// both, or a NOT NULL column on the parent. A viewer who belongs to a team and may have a room (nullable,
// SET NULL on delete) visits many rooms, so the room narrows a viewer's visits. The query then finds its rows
// by a BitmapAnd of the two single-column indexes, IN lists included; plans are PGlite's (PostgreSQL 18)
// under a generic plan.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ColumnPredicate, OrderTerm } from "../../src/core/types.js";
import { determinedBy } from "../../src/advisor/coverage.js";
import { findTableExact } from "../../src/schema/lookup.js";
import { pattern, schemaFrom } from "../advisor/support/schema.js";
import { startPGlite } from "../support/pglite.js";
import { queryIndexOn as ruleOn } from "./helpers.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());

const param = (column: string): ColumnPredicate => ({ column, op: "eq", sentAs: "param" });
const list = (column: string): ColumnPredicate => ({ column, op: "in", sentAs: "param" });
const desc = (column: string): OrderTerm => ({ column, descending: true, nullsFirst: null });

const VISITS = (viewerRoom: string) => `CREATE TABLE teams (id bigint PRIMARY KEY);
CREATE TABLE rooms (id bigint PRIMARY KEY, team_id bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE);
CREATE TABLE viewers (id bigint PRIMARY KEY, team_id bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE, ${viewerRoom}, email text NOT NULL, UNIQUE (team_id, email));
CREATE TABLE visits (
  id bigint PRIMARY KEY, viewer_id bigint REFERENCES viewers (id) ON DELETE CASCADE, room_id bigint REFERENCES rooms (id) ON DELETE CASCADE,
  kind text NOT NULL, seen_at timestamptz NOT NULL
);
CREATE INDEX visits_viewer_id_idx ON visits (viewer_id);
CREATE INDEX visits_room_id_idx ON visits (room_id);
`;
const OPTIONAL_ROOM = VISITS("room_id bigint REFERENCES rooms (id) ON DELETE SET NULL");
const OWNING_ROOM = VISITS("room_id bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE");
// As Prisma reads a viewer's latest visit in a room: `viewer.findMany({ select: { visits: { where: { roomId }, orderBy: { seenAt: "desc" }, take: 1 } } })`.
const latestVisit = () => pattern("visits", [list("viewer_id"), param("room_id")], { source: "prisma", orderBy: [desc("seen_at")], limited: true, functionName: "latestVisit" });

describe("a key fixed by another only when the schema ties them", () => {
  it("a nullable SET NULL room on the viewer fixes nothing: the finding is the BitmapAnd of both indexes, NOTED, and the planner ANDs them", async () => {
    const findings = ruleOn(OPTIONAL_ROOM, [latestVisit()]);
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe("noted");
    expect(findings[0].message).toContain("BitmapAnd");
    expect(findings[0].message).toContain("visits_viewer_id_idx");
    expect(findings[0].message).toContain("visits_room_id_idx");
    expect(findings[0].details).not.toContain("fixed by");
    expect(findings[0].columns).toEqual(expect.arrayContaining(["viewer_id", "room_id"]));

    await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public; SET plan_cache_mode = force_generic_plan;");
    await db.exec(OPTIONAL_ROOM);
    await db.exec(`INSERT INTO teams SELECT g FROM generate_series(1, 500) g;
INSERT INTO rooms SELECT g, g % 500 + 1 FROM generate_series(1, 2000) g;
INSERT INTO viewers SELECT g, g % 500 + 1, NULL, 'v' || g FROM generate_series(1, 20000) g;
INSERT INTO visits SELECT g, g % 20000 + 1, g % 2000 + 1, 'ROOM', now() - g * interval '1 minute' FROM generate_series(1, 200000) g;
ANALYZE;`);
    await db.exec("PREPARE q(bigint[], bigint) AS SELECT * FROM visits WHERE viewer_id = ANY($1) AND room_id = $2 ORDER BY seen_at DESC LIMIT 1");
    try {
      const res = await db.query<{ "QUERY PLAN": unknown }>("EXPLAIN (FORMAT JSON) EXECUTE q(ARRAY[7]::bigint[], 8)");
      const plan = JSON.stringify(res.rows[0]["QUERY PLAN"]);
      expect(plan).toContain('"Node Type":"BitmapAnd"');
      expect(plan).toContain("visits_viewer_id_idx");
      expect(plan).toContain("visits_room_id_idx");
    } finally {
      await db.exec("DEALLOCATE q; RESET plan_cache_mode;");
    }
  });

  it("a NOT NULL room on the viewer fixes the visit's room: the key drops it and says why", () => {
    const findings = ruleOn(OWNING_ROOM, [pattern("visits", [param("viewer_id"), param("room_id")], { source: "prisma", orderBy: [desc("seen_at")], limited: true, functionName: "latestVisit" })], {
      tables: { visits: { rows: 5_000_000 } },
    });
    expect(findings).toHaveLength(1);
    expect(findings[0].details).toContain("room_id is fixed by viewer_id");
    expect(findings[0].columns).not.toContain("room_id");
  });

  it("determinedBy follows a composite foreign key one way only, and a NOT NULL parent column", () => {
    const composite = schemaFrom(`CREATE TABLE rooms (id bigint PRIMARY KEY);
CREATE TABLE viewers (id bigint PRIMARY KEY, room_id bigint REFERENCES rooms (id) ON DELETE SET NULL, UNIQUE (id, room_id));
CREATE TABLE visits (id bigint PRIMARY KEY, viewer_id bigint, room_id bigint REFERENCES rooms (id),
  FOREIGN KEY (viewer_id, room_id) REFERENCES viewers (id, room_id));`);
    const visits = findTableExact(composite, "public", "visits")!;
    expect(determinedBy(composite, visits, "room_id", ["viewer_id"])).toBe("viewer_id");
    // The pair exists in viewers, but one room has many viewers.
    expect(determinedBy(composite, visits, "viewer_id", ["room_id"])).toBeNull();

    const optional = schemaFrom(OPTIONAL_ROOM);
    expect(determinedBy(optional, findTableExact(optional, "public", "visits")!, "room_id", ["viewer_id"])).toBeNull();
    const owning = schemaFrom(OWNING_ROOM);
    expect(determinedBy(owning, findTableExact(owning, "public", "visits")!, "room_id", ["viewer_id"])).toBe("viewer_id");
  });
});

describe("after a BitmapAnd, whose rows grow", () => {
  const HISTORY = `CREATE TABLE viewers (id bigint PRIMARY KEY);
CREATE TABLE rooms (id bigint PRIMARY KEY);
CREATE TABLE triggers (id bigint PRIMARY KEY);
CREATE TABLE actions (id bigint PRIMARY KEY);
CREATE TABLE visits (id bigint PRIMARY KEY, viewer_id bigint REFERENCES viewers (id), room_id bigint REFERENCES rooms (id), seen_at timestamptz NOT NULL);
CREATE INDEX visits_viewer_id_idx ON visits (viewer_id);
CREATE INDEX visits_room_id_idx ON visits (room_id);
CREATE TABLE runs (id bigint PRIMARY KEY, trigger_id bigint REFERENCES triggers (id), action_id bigint REFERENCES actions (id), created_at timestamptz NOT NULL);
CREATE INDEX runs_trigger_id_idx ON runs (trigger_id);
CREATE INDEX runs_action_id_idx ON runs (action_id);
`;
  // Both tables are append-only histories: the code inserts into them and never updates them.
  const insert = (table: string) => pattern(table, [], { source: "prisma", kind: "insert", functionName: "record" });
  const latest = (table: string, a: string, b: string, order: string) =>
    pattern(table, [param(a), param(b)], { source: "prisma", orderBy: [desc(order)], limited: true, functionName: "latest" });

  it("one viewer's visits to one room grow at a person's pace: NOTED; one trigger's runs of one action grow without bound: ROUTINE", () => {
    const findings = ruleOn(HISTORY, [insert("visits"), insert("runs"), latest("visits", "viewer_id", "room_id", "seen_at"), latest("runs", "trigger_id", "action_id", "created_at")]);
    const by = (t: string) => findings.find((f) => f.table === `public.${t}`)!;
    expect(by("visits").severity).toBe("noted");
    expect(by("visits").message).toContain("BitmapAnd");
    expect(by("runs").severity).toBe("routine");
    expect(by("runs").message).toContain("BitmapAnd");
    expect(by("runs").message).toContain("append-only");
  });
});
