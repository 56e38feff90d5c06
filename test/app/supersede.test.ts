// A newer push while an audit is still running: the older audit publishes nothing.
// The stand-in holds the older audit's compare request until the newer push's webhook has been
// delivered, so the order of events is fixed, with no timers.
import { afterAll, beforeAll, expect, it } from "vitest";
import { deliverWebhook, buildWebhook } from "../support/webhooks.js";
import { SECRET, startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const FK = (n: number) =>
  `create table t${n} (id uuid primary key, parent_id uuid);\nalter table t${n} add constraint t${n}_parent_fkey foreign key (parent_id) references parents (id) on delete cascade;\n`;

it("a superseded audit completes its check run as cancelled and publishes nothing", async () => {
  const repo = await h.standin.createRepo({
    owner: "acme",
    name: "busy",
    files: {
      "supabase/migrations/20240101000000_init.sql": "create table parents (id uuid primary key);\n",
      ".github/index-audit.yml": "tables:\n  t1: { rows: 1000000 }\n  t2: { rows: 1000000 }\n  t3: { rows: 1000000 }\n",
    },
  });
  await repo.commit({ branch: "feature", files: { "supabase/migrations/20240201000000_a.sql": FK(1) } });
  const pr = await repo.openPullRequest({ head: "feature" });
  await h.send("pull_request.opened", { repo, pullNumber: pr.number });

  const headA = await repo.pushToPullRequest(pr.number, { files: { "supabase/migrations/20240202000000_b.sql": FK(2) } });
  const held = h.standin.holdNext({ route: "/repos/{owner}/{repo}/compare/{basehead}" });
  const pushA = await buildWebhook("pull_request.synchronize", { standin: h.standin, repo, pullNumber: pr.number });
  expect((await deliverWebhook(h.webhookUrl, pushA, { secret: SECRET })).status).toBeLessThan(300);
  await held.reached;

  // The newer push arrives while the older audit waits on GitHub; acknowledging it starts its audit.
  const headB = await repo.pushToPullRequest(pr.number, { files: { "supabase/migrations/20240203000000_c.sql": FK(3) } });
  const pushB = await buildWebhook("pull_request.synchronize", { standin: h.standin, repo, pullNumber: pr.number });
  expect((await deliverWebhook(h.webhookUrl, pushB, { secret: SECRET })).status).toBeLessThan(300);
  held.release();
  await h.app.state.idle();

  const runs = h.standin.checkRuns(repo.fullName);
  const runA = runs.find((r) => r.head_sha === headA)!;
  expect(runA).toMatchObject({ status: "completed", conclusion: "cancelled" });
  expect(runA.output.title).toBe("Superseded by a newer audit");
  expect(runA.output.summary).toContain(headB.slice(0, 7));
  expect(runs.find((r) => r.head_sha === headB)).toMatchObject({ status: "completed", conclusion: "failure" });

  // Only the first audit and the newest one published reviews: t1's comment, then t2's and t3's.
  const reviews = h.standin.reviews(repo.fullName, pr.number);
  expect(reviews).toHaveLength(2);
  expect(reviews.some((r) => r.commit_id === headA)).toBe(false);
  expect(reviews[1].commit_id).toBe(headB);
  expect(h.standin.reviewComments(repo.fullName, pr.number)).toHaveLength(3);
  expect(h.standin.issueComments(repo.fullName, pr.number).filter((c) => c.user === h.standin.botLogin)).toHaveLength(1);
  expect(h.standin.violations()).toEqual([]);
});
