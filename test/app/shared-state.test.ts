// The state instances share, as one contract over both stores: in memory (one instance) and in a real
// PostgreSQL server (several). The PostgreSQL cases use two connections pools, as two instances would.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { MemorySharedState, holdLease, type SharedState } from "../../src/app/shared-state.js";
import { connectPostgresState } from "../../src/app/postgres-state.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";

let server: TestPostgres;
const opened: SharedState[] = [];

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  for (const state of opened) await state.close();
  await server?.stop();
});

async function postgresPair(): Promise<[SharedState, SharedState]> {
  // Two instances starting together both create the schema; neither fails.
  const pair = await Promise.all([connectPostgresState({ connectionString: server.url }), connectPostgresState({ connectionString: server.url })]);
  opened.push(...pair);
  return pair;
}

const stores: Array<[string, () => Promise<[SharedState, SharedState]>]> = [
  [
    "memory",
    async () => {
      const one = new MemorySharedState();
      return [one, one];
    },
  ],
  ["postgresql", postgresPair],
];

describe.each(stores)("shared state in %s", (kind, open) => {
  let a: SharedState;
  let b: SharedState;
  beforeAll(async () => {
    [a, b] = await open();
  });

  it("a delivery is handled once, whichever instance sees it first", async () => {
    const id = `delivery-${kind}`;
    const answers = await Promise.all([...Array(10)].map((_, i) => (i % 2 ? a : b).firstDelivery(id)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await a.firstDelivery(`${id}-other`)).toBe(true);
  });

  it("an automatic audit is claimed once, and a released claim can be taken again", async () => {
    expect(await a.claimAudit("o/r#1:aaa:bbb")).toBe(true);
    expect(await b.claimAudit("o/r#1:aaa:bbb")).toBe(false);
    await b.releaseAudit("o/r#1:aaa:bbb");
    expect(await a.claimAudit("o/r#1:aaa:bbb")).toBe(true);
    expect(await a.claimDeniedReply("o/r#1:mallory")).toBe(true);
    expect(await b.claimDeniedReply("o/r#1:mallory")).toBe(false);
  });

  it("the summary comment one instance wrote is the one the other updates", async () => {
    expect(await b.summaryComment("o/r#2")).toBeUndefined();
    await a.saveSummaryComment("o/r#2", { id: 4_000_000_001, body: "first" });
    expect(await b.summaryComment("o/r#2")).toEqual({ id: 4_000_000_001, body: "first" });
    await b.saveSummaryComment("o/r#2", { id: 4_000_000_001, body: "second" });
    expect(await a.summaryComment("o/r#2")).toEqual({ id: 4_000_000_001, body: "second" });
    await a.forgetSummaryComment("o/r#2");
    expect(await b.summaryComment("o/r#2")).toBeUndefined();
  });

  it("a newer audit of a pull request on either instance makes the older one stale", async () => {
    const first = await a.beginGeneration("o/r#3", "aaa");
    const other = await b.beginGeneration("o/r#4", "ccc");
    expect((await b.currentGeneration("o/r#3"))?.generation).toBe(first.generation);
    const second = await b.beginGeneration("o/r#3", "bbb");
    expect(second.generation).toBeGreaterThan(first.generation);
    expect(await a.currentGeneration("o/r#3")).toEqual(second);
    expect((await a.currentGeneration("o/r#4"))?.generation).toBe(other.generation);
    expect(await a.currentGeneration("o/r#5")).toBeNull();
  });
});

describe("the lease on a pull request, in PostgreSQL", () => {
  let a: SharedState;
  let b: SharedState;
  beforeAll(async () => {
    [a, b] = await postgresPair();
  });

  it("one holder at a time; renewing is allowed; a released or expired lease is taken", async () => {
    expect(await a.acquireLease("o/r#10", "a1", 60_000)).toBe(true);
    expect(await b.acquireLease("o/r#10", "b1", 60_000)).toBe(false);
    expect(await a.acquireLease("o/r#10", "a1", 60_000)).toBe(true);
    await b.releaseLease("o/r#10", "b1"); // not b1's: nothing happens
    expect(await b.acquireLease("o/r#10", "b1", 60_000)).toBe(false);
    await a.releaseLease("o/r#10", "a1");
    expect(await b.acquireLease("o/r#10", "b1", 60_000)).toBe(true);
    // A holder that crashed: its lease lapses after its TTL.
    expect(await a.acquireLease("o/r#11", "crashed", 50)).toBe(true);
    expect(await b.acquireLease("o/r#11", "b2", 60_000)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await b.acquireLease("o/r#11", "b2", 60_000)).toBe(true);
  });

  it("racing holders: exactly one wins", async () => {
    const answers = await Promise.all([...Array(8)].map((_, i) => (i % 2 ? a : b).acquireLease("o/r#12", `h${i}`, 60_000)));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it("a waiting audit gets the lease once the holder releases it, and gives up once a newer audit began", async () => {
    const first = await holdLease(a, "o/r#13", async () => true, { ttlMs: 60_000, pollMs: 20 });
    expect(first).not.toBeNull();
    let wanted = true;
    const waiting = holdLease(b, "o/r#13", async () => wanted, { ttlMs: 60_000, pollMs: 20 });
    const abandoned = holdLease(b, "o/r#13", async () => false, { ttlMs: 60_000, pollMs: 20 });
    expect(await abandoned).toBeNull();
    await first!.release();
    const second = await waiting;
    expect(second).not.toBeNull();
    wanted = false;
    await second!.release();
  });

  it("an unreachable server is an error naming the connection problem, not a silent fallback", async () => {
    const refused = await connectPostgresState({ connectionString: "postgresql://postgres@127.0.0.1:1/postgres" }).then(
      () => "connected",
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/ECONNREFUSED|connect/);
  });

  it("keeps its tables in its own schema", async () => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const { rows } = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'index_audit' ORDER BY 1");
    await client.end();
    expect(rows.map((r) => r.table_name)).toEqual(["claims", "generations", "leases", "summary_comments"]);
  });
});
