// GitHub failing under the app: a fault is never a verdict. Blobs that cannot be read leave the check
// neutral with the reason (no false "fixed", nothing cached); a tree too large to list still audits the
// pull request's own files; a comment that cannot be posted never rewrites the check's conclusion.
import { execFileSync } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SUMMARY_MARKER } from "../../src/report/github.js";
import type { RepoHandle } from "../support/github-standin/index.js";
import { startHarness, type Harness } from "./harness.js";

const MIGRATIONS = "supabase/migrations";
const INIT = "create table organizations (id uuid primary key, name text);\n";
const CALLS = [
  "create table call_logs (id uuid primary key, organization_id uuid not null);",
  "alter table call_logs add constraint call_logs_org_fkey foreign key (organization_id) references organizations (id) on delete cascade;",
  "",
].join("\n");
const SIZES = "tables:\n  call_logs:\n    rows: 1000000\n";

let h: Harness;
let count = 0;
beforeAll(async () => {
  // REST blobs only, so one blob's failure is one route's failure.
  h = await startHarness({ app: { batchBlobs: false, publishRetry: { attempts: 3, baseDelayMs: 1 } } });
});
afterAll(async () => h?.close());
afterEach(() => expect(h.standin.violations()).toEqual([]));

const blobSha = (text: string) => execFileSync("git", ["hash-object", "--stdin"], { input: text }).toString().trim();
const botComments = (repo: RepoHandle, n: number) => h.standin.issueComments(repo.fullName, n).filter((c) => c.user === h.standin.botLogin);

async function prWithFinding(): Promise<{ repo: RepoHandle; number: number }> {
  const repo = await h.standin.createRepo({
    owner: "acme",
    name: `faults-${++count}`,
    files: { [`${MIGRATIONS}/20240101000000_init.sql`]: INIT, ".github/index-audit.yml": SIZES },
  });
  await repo.commit({ branch: "feature", files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS } });
  const { number } = await repo.openPullRequest({ head: "feature" });
  await h.send("pull_request.opened", { repo, pullNumber: number });
  expect(h.standin.checkRuns(repo.fullName)[0].conclusion).toBe("failure");
  return { repo, number };
}

describe("a blob GitHub cannot give", () => {
  it("leaves the check neutral with the reason, claims nothing fixed, and caches nothing", async () => {
    const { repo, number } = await prWithFinding();
    const summaryBefore = botComments(repo, number)[0].body;
    // The push changes the migration (a new blob), and GitHub answers 404 for that blob.
    const changed = `-- ${count}\n${CALLS}`;
    const head = await repo.pushToPullRequest(number, { files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: changed } });
    h.standin.failNext({ route: new RegExp(`/git/blobs/${blobSha(changed)}$`), status: 404, times: 50 });
    await h.send("pull_request.synchronize", { repo, pullNumber: number });

    const run = h.standin.checkRuns(repo.fullName).find((r) => r.head_sha === head)!;
    expect(run).toMatchObject({ status: "completed", conclusion: "neutral" });
    expect(run.output.title).toBe("Could not read 1 file from GitHub; no verdict");
    expect(run.output.summary).toContain("`supabase/migrations/20240201000000_calls.sql`: GitHub answered 404");
    expect(h.standin.replies(repo.fullName, number)).toHaveLength(0);
    expect(botComments(repo, number).map((c) => c.body)).toEqual([summaryBefore]);

    // GitHub healthy again: a re-audit of the same commit reads the file and fails as it should.
    h.standin.resetFailures();
    await h.send("check_run.rerequested", { repo, pullNumber: number, checkRunId: run.id });
    const again = h.standin.checkRuns(repo.fullName).filter((r) => r.head_sha === head).at(-1)!;
    expect(again.id).not.toBe(run.id);
    expect(again).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(h.standin.replies(repo.fullName, number)).toHaveLength(0);
  });

  it("a 5xx that outlasts every retry is no verdict either", async () => {
    const { repo, number } = await prWithFinding();
    const changed = `-- five hundred ${count}\n${CALLS}`;
    const head = await repo.pushToPullRequest(number, { files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: changed } });
    h.standin.failNext({ route: new RegExp(`/git/blobs/${blobSha(changed)}$`), status: 502, times: 200 });
    await h.send("pull_request.synchronize", { repo, pullNumber: number });
    const run = h.standin.checkRuns(repo.fullName).find((r) => r.head_sha === head)!;
    expect(run.conclusion).toBe("neutral");
    expect(run.output.summary).toContain("GitHub answered 502");
    expect(h.standin.replies(repo.fullName, number)).toHaveLength(0);
  });
});

describe("publishing after the verdict", () => {
  it("500s on completing the check run are retried, and the verdict is the audit's", async () => {
    const repo = await h.standin.createRepo({
      owner: "acme",
      name: `faults-${++count}`,
      files: { [`${MIGRATIONS}/20240101000000_init.sql`]: INIT, ".github/index-audit.yml": SIZES },
    });
    await repo.commit({ branch: "feature", files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: `-- ${count}\n${CALLS}` } });
    const { number } = await repo.openPullRequest({ head: "feature" });
    h.standin.resetRecording();
    // Octokit's retry plugin makes four attempts per call: all four fail, then the step is tried again.
    const completing = (body: unknown) => (body as { status?: string }).status === "completed";
    h.standin.failNext({ method: "PATCH", route: "/repos/{owner}/{repo}/check-runs/{check_run_id}", status: 500, times: 4, body: completing });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    const [run] = h.standin.checkRuns(repo.fullName);
    expect(run).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(run.output.title).not.toBe("The audit stopped on an internal error");
    const patches = h.standin.requests().filter((r) => r.method === "PATCH" && r.route === "/repos/{owner}/{repo}/check-runs/{check_run_id}" && completing(r.body));
    expect(patches.map((r) => r.status)).toEqual([500, 500, 500, 500, 200]);
    expect(botComments(repo, number)).toHaveLength(1);
  });

  it("a summary comment that cannot be posted leaves the completed check as it was", async () => {
    const repo = await h.standin.createRepo({
      owner: "acme",
      name: `faults-${++count}`,
      files: { [`${MIGRATIONS}/20240101000000_init.sql`]: INIT, ".github/index-audit.yml": SIZES },
    });
    await repo.commit({ branch: "feature", files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: `-- ${count}\n${CALLS}` } });
    const { number } = await repo.openPullRequest({ head: "feature" });
    h.standin.failNext({ method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/comments", status: 500, times: 12 });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    const [run] = h.standin.checkRuns(repo.fullName);
    expect(run).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(run.output.title).not.toBe("The audit stopped on an internal error");
    // Taken from queued to in progress, then completed once: never rewritten.
    expect(run.updates).toBe(2);
    // The review went out on its own.
    expect(h.standin.reviewComments(repo.fullName, number)).toHaveLength(1);
    expect(botComments(repo, number)).toHaveLength(0);
    // The next push posts the summary.
    await repo.pushToPullRequest(number, { files: { "src/a.ts": "export {};\n" } });
    await h.send("pull_request.synchronize", { repo, pullNumber: number });
    expect(botComments(repo, number).map((c) => c.body)).toEqual([expect.stringContaining(SUMMARY_MARKER)]);
  });
});

describe("rate limits", () => {
  it("a review GitHub created but answered with a 502 is not posted again: the retry reads the comments first", async () => {
    const repo = await h.standin.createRepo({
      owner: "acme",
      name: `faults-${++count}`,
      files: { [`${MIGRATIONS}/20240101000000_init.sql`]: INIT, ".github/index-audit.yml": SIZES },
    });
    await repo.commit({ branch: "feature", files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: `-- ${count}\n${CALLS}` } });
    const { number } = await repo.openPullRequest({ head: "feature" });
    h.standin.failNext({ method: "POST", route: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", status: 502, afterServing: true });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    expect(h.standin.checkRuns(repo.fullName)[0]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(h.standin.reviews(repo.fullName, number)).toHaveLength(1);
    expect(h.standin.reviewComments(repo.fullName, number)).toHaveLength(1);
    const posts = h.standin.requests().filter((r) => r.method === "POST" && r.route === "/repos/{owner}/{repo}/pulls/{pull_number}/reviews" && r.path.includes(repo.name));
    expect(posts.map((r) => r.status)).toEqual([502]);
  });

  it("a 403 secondary rate limit with retry-after on creating the check run is waited out, then the audit runs", async () => {
    const repo = await h.standin.createRepo({
      owner: "acme",
      name: `faults-${++count}`,
      files: { [`${MIGRATIONS}/20240101000000_init.sql`]: INIT, ".github/index-audit.yml": SIZES },
    });
    await repo.commit({ branch: "feature", files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: `-- ${count}\n${CALLS}` } });
    const { number } = await repo.openPullRequest({ head: "feature" });
    h.standin.resetRecording();
    h.standin.failNext({ method: "POST", route: "/repos/{owner}/{repo}/check-runs", status: 403, secondary: true, retryAfter: 1, times: 2 });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    const creates = h.standin.requests().filter((r) => r.method === "POST" && r.route === "/repos/{owner}/{repo}/check-runs");
    expect(creates.map((r) => r.status)).toEqual([403, 403, 201]);
    const runs = h.standin.checkRuns(repo.fullName);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(runs[0].output.title).not.toBe("The audit stopped on an internal error");
    expect(botComments(repo, number)).toHaveLength(1);
  });

  it("a primary rate limit (quota exhausted until reset) on a read is waited out too", async () => {
    const repo = await h.standin.createRepo({
      owner: "acme",
      name: `faults-${++count}`,
      files: { [`${MIGRATIONS}/20240101000000_init.sql`]: INIT, ".github/index-audit.yml": SIZES },
    });
    await repo.commit({ branch: "feature", files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: `-- ${count}\n${CALLS}` } });
    const { number } = await repo.openPullRequest({ head: "feature" });
    h.standin.failNext({ route: "/repos/{owner}/{repo}/pulls/{pull_number}/files", status: 403, retryAfter: 1 });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    expect(h.standin.checkRuns(repo.fullName)[0]).toMatchObject({ status: "completed", conclusion: "failure" });
  });
});
