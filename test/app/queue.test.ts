// The audit queue: bounded concurrency, fairness between installations, and, in PostgreSQL (pg-boss),
// jobs that outlive the process that queued them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryAuditQueue, type AuditJob } from "../../src/app/queue.js";
import { startPgQueue } from "../../src/app/pg-queue.js";
import pg from "pg";
import { startPostgres, type TestPostgres } from "../support/postgres.js";

const job = (installationId: number, number: number, queuedAt = Date.now()): AuditJob => ({
  target: { owner: `org${installationId}`, repo: "app", headSha: "a".repeat(40), pull: { number, baseSha: "b".repeat(40) }, compareWith: null, reason: "test" },
  installationId,
  checkRunId: null,
  generation: null,
  onceKey: null,
  queuedAt,
});

/** A run function whose jobs finish only when the test says so. */
function gate() {
  const started: AuditJob[] = [];
  const finishers: Array<() => void> = [];
  const run = (j: AuditJob) =>
    new Promise<void>((resolve) => {
      started.push(j);
      finishers.push(resolve);
    });
  const finishOne = async () => {
    finishers.shift()!();
    await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { started, run, finishOne };
}

describe("the in-memory queue", () => {
  it("runs at most its concurrency at once, first in first out", async () => {
    const queue = new MemoryAuditQueue({ concurrency: 2, perInstallation: 2 });
    const g = gate();
    await queue.start(g.run);
    for (let n = 1; n <= 5; n++) await queue.push(job(1, n));
    expect(g.started.map((j) => j.target.pull!.number)).toEqual([1, 2]);
    expect((await queue.stats()).waiting).toBe(3);
    await g.finishOne();
    expect(g.started.map((j) => j.target.pull!.number)).toEqual([1, 2, 3]);
  });

  it("one busy installation cannot hold every slot", async () => {
    const queue = new MemoryAuditQueue({ concurrency: 3, perInstallation: 1 });
    const g = gate();
    await queue.start(g.run);
    for (let n = 1; n <= 4; n++) await queue.push(job(7, n));
    await queue.push(job(8, 1));
    // Installation 7 runs one at a time; installation 8's job starts though it came last.
    expect(g.started.map((j) => `${j.installationId}#${j.target.pull!.number}`)).toEqual(["7#1", "8#1"]);
    await g.finishOne();
    expect(g.started.map((j) => `${j.installationId}#${j.target.pull!.number}`)).toEqual(["7#1", "8#1", "7#2"]);
  });

  it("reports the oldest waiting audit, and hands back what still waits when stopped", async () => {
    const queue = new MemoryAuditQueue({ concurrency: 1, perInstallation: 1 });
    const g = gate();
    await queue.start(g.run);
    await queue.push(job(1, 1));
    await queue.push(job(1, 2, Date.now() - 30_000));
    const stats = await queue.stats();
    expect(stats.waiting).toBe(1);
    expect(stats.oldestWaitingSeconds).toBeGreaterThanOrEqual(30);
    const left = await queue.stop();
    expect(left.map((j) => j.target.pull!.number)).toEqual([2]);
    await g.finishOne();
    expect(g.started).toHaveLength(1);
  });
});

describe("the queue in PostgreSQL (pg-boss)", () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => server?.stop());

  it("instances starting at once on an empty database all start, on one shared queue", async () => {
    // Their create_queue calls race (a deadlock or a duplicate key in pg-boss); each must still start.
    for (let round = 0; round < 3; round++) {
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE fresh_${round}`);
      await admin.end();
      const url = server.url.replace("/postgres?", `/fresh_${round}?`);
      const options = { connectionString: url, limits: { concurrency: 1, perInstallation: 1 }, expireInSeconds: 120, pollingIntervalSeconds: 0.5 };
      const queues = await Promise.all([0, 1, 2, 3].map(() => startPgQueue(options)));
      await queues[0].push(job(7, round));
      for (const queue of queues) expect(await queue.stats()).toMatchObject({ waiting: 1 });
      await Promise.all(queues.map((queue) => queue.stop()));
    }
  }, 120_000);

  it("a job queued by an instance that stops is run by the next one, with its data intact", async () => {
    const options = { connectionString: server.url, limits: { concurrency: 1, perInstallation: 1 }, expireInSeconds: 120, pollingIntervalSeconds: 0.5 };
    const first = await startPgQueue(options);
    await first.push({ ...job(3, 42), checkRunId: 99, generation: 5, onceKey: "org3/app#42:a:b" });
    expect(await first.stats()).toMatchObject({ waiting: 1 });
    expect((await first.stats()).oldestWaitingSeconds).toBeGreaterThanOrEqual(0);
    expect(await first.stop()).toEqual([]);

    const second = await startPgQueue(options);
    const ran = await new Promise<AuditJob>((resolve) => void second.start(async (j) => resolve(j)));
    expect(ran).toMatchObject({ installationId: 3, checkRunId: 99, generation: 5, onceKey: "org3/app#42:a:b", target: { owner: "org3", pull: { number: 42 } } });
    expect(ran.octokit).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await second.stats()).waiting).toBe(0);
    await second.stop();
  }, 60_000);
});
