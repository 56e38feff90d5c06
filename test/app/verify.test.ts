// `verify: true` in the app: the static result appears on the check run at once (still in progress),
// then PostgreSQL's planner checks each recommendation at the declared size, and the verdict, the
// check run and the review comments carry its evidence.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RepoHandle } from "../support/github-standin/index.js";
import { startHarness, type Harness } from "./harness.js";

const MIGRATIONS = "supabase/migrations";
const INIT = "create table organizations (id uuid primary key, name text);\n";
const CALLS = [
  "create table call_logs (id uuid primary key, organization_id uuid not null, started_at timestamptz not null);",
  "alter table call_logs add constraint call_logs_organization_id_fkey foreign key (organization_id) references organizations (id) on delete cascade;",
  "",
].join("\n");

let h: Harness;
let count = 0;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());
afterEach(() => expect(h.standin.violations()).toEqual([]));

async function pullRequest(config: string): Promise<{ repo: RepoHandle; number: number }> {
  const repo = await h.standin.createRepo({
    owner: "acme",
    name: `verified-${++count}`,
    files: { [`${MIGRATIONS}/20240101000000_init.sql`]: INIT, ".github/index-audit.yml": config },
  });
  await repo.commit({ branch: "feature", files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS } });
  const { number } = await repo.openPullRequest({ head: "feature" });
  return { repo, number };
}

/** The check-run updates the app sent for this repository, in order. */
const checkRunUpdates = (repo: RepoHandle) =>
  h.standin
    .requests()
    .filter((r) => r.method === "PATCH" && r.route === "/repos/{owner}/{repo}/check-runs/{check_run_id}" && r.path.includes(`/${repo.fullName}/`))
    .map((r) => r.body as { status?: string; conclusion?: string; output?: { title: string; summary: string } });

describe("planner verification in the app", () => {
  it("shows the static result while verifying, then completes with the planner's evidence on the check run and the review comment", async () => {
    const { repo, number } = await pullRequest("verify: true\ntables:\n  call_logs:\n    rows: 10000000\n");
    await h.send("pull_request.opened", { repo, pullNumber: number });

    const updates = checkRunUpdates(repo);
    const interim = updates.find((u) => u.status === "in_progress" && u.output?.title.startsWith("Verifying with PostgreSQL's planner…"));
    expect(interim, JSON.stringify(updates.map((u) => u.output?.title))).toBeDefined();
    expect(interim!.conclusion).toBeUndefined();
    expect(interim!.output!.summary).toContain("fk-index");
    expect(interim!.output!.summary).not.toContain("Verified by PostgreSQL");
    // The interim update came before the one that completed the run.
    expect(updates.indexOf(interim!)).toBeLessThan(updates.findIndex((u) => u.status === "completed"));

    const [run] = h.standin.checkRuns(repo.fullName);
    expect(run).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(run.output.summary).toMatch(/Verified by PostgreSQL 18's planner at 10,000,000 rows: cost [\d,.]+ → [\d,.]+/);
    const [comment] = h.standin.reviewComments(repo.fullName, number);
    expect(comment.body).toContain("fk-index");
    expect(comment.body).toMatch(/Verified by PostgreSQL 18's planner at 10,000,000 rows/);
    expect(h.outcomes.at(-1)!.outcome.kind).toBe("completed");
  });

  it("without verify: no interim update and no evidence", async () => {
    const { repo } = await pullRequest("tables:\n  call_logs:\n    rows: 10000000\n");
    const { number } = { number: repo.pullRequest(1).number };
    await h.send("pull_request.opened", { repo, pullNumber: number });
    expect(checkRunUpdates(repo).some((u) => u.output?.title.startsWith("Verifying"))).toBe(false);
    const [run] = h.standin.checkRuns(repo.fullName);
    expect(run).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(run.output.summary).not.toContain("Verified by PostgreSQL");
  });
});
