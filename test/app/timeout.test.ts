// Every audit has a deadline: one still running at it completes its check run neutral with the
// reason, and the work left behind publishes nothing when it ends.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ app: { auditTimeoutMs: 100 } });
});
afterAll(async () => h?.close());

it("an audit past its timeout ends neutral with the reason; the late work publishes nothing", async () => {
  const repo = await h.standin.createRepo({
    owner: "acme",
    name: "slow",
    files: { "supabase/migrations/20240101000000_init.sql": "create table organizations (id uuid primary key);\n" },
  });
  await repo.commit({
    branch: "feature",
    files: {
      "supabase/migrations/20240201000000_calls.sql":
        "create table call_logs (id uuid primary key, organization_id uuid references organizations (id) on delete cascade);\n",
    },
  });
  const pr = await repo.openPullRequest({ head: "feature" });
  // GitHub stalls on the file list until after the deadline.
  const held = h.standin.holdNext({ route: "/repos/{owner}/{repo}/pulls/{pull_number}/files" });
  const sent = h.send("pull_request.opened", { repo, pullNumber: pr.number });
  // Wait for the audit's outcome (at the deadline), then let GitHub answer: the work left behind
  // ends at its next step. The run is completed whether the deadline came before the stall or in it.
  await new Promise<void>((resolve) => {
    const check = () => (h.outcomes.length > 0 ? resolve() : setTimeout(check, 10));
    check();
  });
  held.release();
  await sent;
  await h.app.state.idle();
  const [run] = h.standin.checkRuns(repo.fullName);
  expect(run).toMatchObject({ status: "completed", conclusion: "neutral" });
  expect(run.output.summary).toContain("took longer than the audit timeout (100 ms)");
  expect(h.outcomes.at(-1)?.outcome.kind).toBe("timed-out");

  h.standin.resetRecording();
  // The next delivery's audit is the one that publishes; the abandoned one wrote nothing meanwhile.
  await h.send("issue_comment.created", { repo, pullNumber: pr.number, comment: { body: "/audit help" } });
  const writes = h.standin.requests().filter((r) => r.method !== "GET" && r.route?.includes("check-runs"));
  expect(writes).toEqual([]);
  expect(h.standin.checkRuns(repo.fullName)).toHaveLength(1);
  expect(h.standin.reviews(repo.fullName, pr.number)).toHaveLength(0);
  expect(h.standin.violations()).toEqual([]);
});
