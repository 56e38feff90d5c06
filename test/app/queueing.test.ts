// A burst of pull requests against an app running one audit at a time: every pull request shows a
// `queued` check run at once, audits run in turn, and an audit made stale while it waited completes
// its check run as superseded without auditing.
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { buildWebhook, deliverWebhook } from "../support/webhooks.js";
import { SECRET, startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ app: { queueLimits: { concurrency: 1, perInstallation: 1 } } });
});
afterAll(async () => h?.close());
afterEach(() => expect(h.standin.violations()).toEqual([]));

const FK = (n: number) =>
  `create table t${n} (id uuid primary key, parent_id uuid);\nalter table t${n} add constraint t${n}_parent_fkey foreign key (parent_id) references parents (id) on delete cascade;\n`;

async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

it("three pull requests at once: three queued check runs at once, audited one at a time, each with its verdict", async () => {
  const repo = await h.standin.createRepo({
    owner: "acme",
    name: "burst",
    files: {
      "supabase/migrations/20240101000000_init.sql": "create table parents (id uuid primary key);\n",
      ".github/index-audit.yml": "tables:\n  t1: { rows: 1000000 }\n  t2: { rows: 1000000 }\n  t3: { rows: 1000000 }\n",
    },
  });
  const numbers: number[] = [];
  for (const n of [1, 2, 3]) {
    await repo.commit({ branch: `f${n}`, files: { [`supabase/migrations/2024020${n}000000_t${n}.sql`]: FK(n) } });
    numbers.push((await repo.openPullRequest({ head: `f${n}` })).number);
  }
  // The first audit waits on GitHub; the other two must wait in the queue meanwhile.
  const held = h.standin.holdNext({ route: "/repos/{owner}/{repo}/pulls/{pull_number}/files" });
  for (const number of numbers) {
    const delivery = await buildWebhook("pull_request.opened", { standin: h.standin, repo, pullNumber: number });
    expect((await deliverWebhook(h.webhookUrl, delivery, { secret: SECRET })).status).toBeLessThan(300);
  }
  await held.reached;
  await until(() => h.standin.checkRuns(repo.fullName).length === 3, "three check runs");
  expect(h.standin.checkRuns(repo.fullName).map((r) => r.status).sort()).toEqual(["in_progress", "queued", "queued"]);

  held.release();
  await h.app.state.idle();
  const runs = h.standin.checkRuns(repo.fullName);
  expect(runs.map((r) => [r.status, r.conclusion])).toEqual([
    ["completed", "failure"],
    ["completed", "failure"],
    ["completed", "failure"],
  ]);
  // Each run was created queued, then taken into progress by its audit: no second check run per head.
  const created = h.standin.requests().filter((r) => r.method === "POST" && r.route === "/repos/{owner}/{repo}/check-runs" && r.path.includes("/burst/"));
  expect(created.map((r) => (r.body as { status: string }).status)).toEqual(["queued", "queued", "queued"]);
});

it("a push while the pull request's audit still waits in the queue: the waiting one completes as superseded, unaudited", async () => {
  const repo = await h.standin.createRepo({
    owner: "acme",
    name: "waiting",
    files: {
      "supabase/migrations/20240101000000_init.sql": "create table parents (id uuid primary key);\n",
      ".github/index-audit.yml": "tables:\n  t1: { rows: 1000000 }\n  t2: { rows: 1000000 }\n  t3: { rows: 1000000 }\n",
    },
  });
  await repo.commit({ branch: "blocker", files: { "supabase/migrations/20240201000000_t1.sql": FK(1) } });
  const blocker = await repo.openPullRequest({ head: "blocker" });
  await repo.commit({ branch: "feature", files: { "supabase/migrations/20240202000000_t2.sql": FK(2) } });
  const pr = await repo.openPullRequest({ head: "feature" });
  const headA = pr.headSha;

  const held = h.standin.holdNext({ route: "/repos/{owner}/{repo}/pulls/{pull_number}/files" });
  await deliverWebhook(h.webhookUrl, await buildWebhook("pull_request.opened", { standin: h.standin, repo, pullNumber: blocker.number }), { secret: SECRET });
  await held.reached;
  await deliverWebhook(h.webhookUrl, await buildWebhook("pull_request.opened", { standin: h.standin, repo, pullNumber: pr.number }), { secret: SECRET });
  const headB = await repo.pushToPullRequest(pr.number, { files: { "supabase/migrations/20240203000000_t3.sql": FK(3) } });
  await deliverWebhook(h.webhookUrl, await buildWebhook("pull_request.synchronize", { standin: h.standin, repo, pullNumber: pr.number }), { secret: SECRET });
  await until(() => h.standin.checkRuns(repo.fullName).length === 3, "three check runs");
  held.release();
  await h.app.state.idle();

  const runs = h.standin.checkRuns(repo.fullName);
  const runA = runs.find((r) => r.head_sha === headA)!;
  expect(runA).toMatchObject({ status: "completed", conclusion: "cancelled" });
  expect(runA.output.title).toBe("Superseded by a newer audit");
  expect(runs.find((r) => r.head_sha === headB)).toMatchObject({ status: "completed", conclusion: "failure" });
  // The stale audit never ran: one review on the pull request, for the newest head.
  const reviews = h.standin.reviews(repo.fullName, pr.number);
  expect(reviews.map((r) => r.commit_id)).toEqual([headB]);
  expect(h.outcomes.filter((o) => o.target.headSha === headA).map((o) => o.outcome.kind)).toEqual(["superseded"]);
});
