// The app end to end: signed webhooks over real HTTP into the Probot server, GitHub played by the
// stand-in (a real git repository behind a REST server that checks each request against GitHub's
// OpenAPI description). Each scenario asserts what a user would see on GitHub.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SUMMARY_MARKER } from "../../src/report/github.js";
import type { RepoHandle } from "../support/github-standin/index.js";
import { startHarness, type Harness } from "./harness.js";

const INIT = [
  "create table organizations (id uuid primary key, name text);",
  "create table sites (id uuid primary key, organization_id uuid not null references organizations (id));",
  "create index idx_sites_organization_id on sites (organization_id);",
  "",
].join("\n");

// The FK on line 6 has no index: the audit's fk-index finding sits on that line.
const CALLS = [
  "create table call_logs (",
  "  id uuid primary key,",
  "  organization_id uuid not null",
  ");",
  "",
  "alter table call_logs add constraint call_logs_organization_id_fkey foreign key (organization_id) references organizations (id) on delete cascade;",
  "",
].join("\n");

const CALLS_FIXED = CALLS + "create index idx_call_logs_organization_id on call_logs (organization_id);\n";

const MIGRATIONS = "supabase/migrations";
// A size hint makes the cascading key's missing index IMPORTANT (without one, fk-index wants a delete path in code).
const SIZES = "tables:\n  call_logs:\n    rows: 1000000\n";

let h: Harness;
let repoCount = 0;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());
afterEach(() => {
  // Every request the app made in the scenario matched GitHub's published API description.
  expect(h.standin.violations()).toEqual([]);
});

async function newRepo(files: Record<string, string> = {}): Promise<RepoHandle> {
  return h.standin.createRepo({
    owner: "acme",
    name: `shop-${++repoCount}`,
    files: { [`${MIGRATIONS}/20240101000000_init.sql`]: INIT, "README.md": "# shop\n", ".github/index-audit.yml": SIZES, ...files },
  });
}

async function openPr(repo: RepoHandle, files: Record<string, string | null>): Promise<number> {
  await repo.commit({ branch: "feature", files });
  const pr = await repo.openPullRequest({ head: "feature", title: "Add call logs" });
  return pr.number;
}

const botComments = (repo: RepoHandle, n: number) => h.standin.issueComments(repo.fullName, n).filter((c) => c.user === h.standin.botLogin);

describe("a pull request adding a foreign key without an index", () => {
  let repo: RepoHandle;
  let number: number;

  it("fails the check, comments inline with a suggestion on the FK line, and posts one summary", async () => {
    repo = await newRepo();
    number = await openPr(repo, { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    const { status } = await h.send("pull_request.opened", { repo, pullNumber: number });
    expect(status).toBeLessThan(300);

    const runs = h.standin.checkRuns(repo.fullName);
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(run).toMatchObject({ name: "index-audit", head_sha: repo.pullRequest(number).headSha, status: "completed", conclusion: "failure" });
    expect(run.output.summary).toContain("## TL;DR");
    expect(run.output.summary).toContain("fk-index");
    expect(run.actions.map((a) => a.identifier)).toEqual(["re-audit"]);
    const annotations = run.annotationBatches.flat();
    expect(annotations).toContainEqual(
      expect.objectContaining({ path: `${MIGRATIONS}/20240201000000_calls.sql`, start_line: 6, end_line: 6, annotation_level: "failure" }),
    );

    const reviews = h.standin.reviews(repo.fullName, number);
    expect(reviews).toHaveLength(1);
    expect(reviews[0].event ?? reviews[0].state).toMatch(/COMMENT/);
    const [comment] = reviews[0].comments;
    expect(reviews[0].comments).toHaveLength(1);
    expect(comment).toMatchObject({ path: `${MIGRATIONS}/20240201000000_calls.sql`, line: 6, side: "RIGHT" });
    expect(comment.body).toContain("docs/rules/fk-index.md");
    // The suggestion keeps the FK line and adds the index after it (no CONCURRENTLY: the table is new in this file).
    expect(comment.body).toContain(
      "```suggestion\nalter table call_logs add constraint call_logs_organization_id_fkey foreign key (organization_id) references organizations (id) on delete cascade;\nCREATE INDEX IF NOT EXISTS idx_call_logs_organization_id ON call_logs (organization_id);\n```",
    );
    expect(comment.body).toMatch(/<!-- index-audit:finding:[0-9a-z]+ -->/);

    const summaries = botComments(repo, number);
    expect(summaries).toHaveLength(1);
    expect(summaries[0].body).toContain(SUMMARY_MARKER);
    expect(summaries[0].body).toContain("**New:** 1 (1 important");
  });

  it("a redelivery of the same webhook does nothing a second time", async () => {
    const delivery = (await import("../support/webhooks.js")).buildWebhook;
    const again = await delivery("pull_request.opened", { standin: h.standin, repo, pullNumber: number });
    const first = await h.deliver(again);
    const countsAfterFirst = { runs: h.standin.checkRuns(repo.fullName).length, comments: h.standin.reviewComments(repo.fullName, number).length };
    h.standin.resetRecording();
    const second = await h.deliver(again);
    expect(first.status).toBeLessThan(300);
    expect(second.status).toBeLessThan(300);
    expect(h.standin.requests()).toEqual([]);
    expect(h.standin.checkRuns(repo.fullName)).toHaveLength(countsAfterFirst.runs);
    expect(h.standin.reviewComments(repo.fullName, number)).toHaveLength(countsAfterFirst.comments);
  });

  it("a push that fixes it passes, and the thread gets one 'fixed' reply", async () => {
    const head = await repo.pushToPullRequest(number, { files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS_FIXED } });
    await h.send("pull_request.synchronize", { repo, pullNumber: number });

    const run = h.standin.checkRuns(repo.fullName).find((r) => r.head_sha === head)!;
    expect(run).toMatchObject({ status: "completed", conclusion: "success" });
    const comments = h.standin.reviewComments(repo.fullName, number);
    const replies = comments.filter((c) => c.in_reply_to_id);
    expect(replies).toHaveLength(1);
    expect(replies[0].body).toContain(`Fixed in ${head}`);
    expect(replies[0].in_reply_to_id).toBe(comments.find((c) => !c.in_reply_to_id)!.id);

    // The summary was updated in place, not posted again.
    const summaries = botComments(repo, number);
    expect(summaries).toHaveLength(1);
    expect(summaries[0].body).toContain("No new findings");

    // A re-run on the same head replies nowhere twice.
    await h.send("check_run.rerequested", { repo, pullNumber: number, checkRunId: run.id });
    expect(h.standin.reviewComments(repo.fullName, number).filter((c) => c.in_reply_to_id)).toHaveLength(1);
  });
});

describe("a pull request that fixes debt on the base branch", () => {
  it("passes and credits the finding as fixed", async () => {
    const repo = await newRepo({ [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    const number = await openPr(repo, {
      [`${MIGRATIONS}/20240301000000_index_calls.sql`]: "create index concurrently idx_call_logs_organization_id on call_logs (organization_id);\n",
    });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    const [run] = h.standin.checkRuns(repo.fullName);
    expect(run.conclusion).toBe("success");
    expect(run.output.summary).toMatch(/## Fixed by this change ✅\n\n- 🟡 IMPORTANT `fk-index`/);
    expect(run.output.summary).toContain("**Fixed:** 1");
    expect(botComments(repo, number)[0].body).toContain("Fixed by this change");
  });
});

describe("two pushes in a row", () => {
  it("keeps one summary comment and never repeats an inline comment", async () => {
    const repo = await newRepo();
    const number = await openPr(repo, { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    await repo.pushToPullRequest(number, { files: { "src/notes.ts": "export const a = 1;\n" } });
    const second = await h.send("pull_request.synchronize", { repo, pullNumber: number });
    const head3 = await repo.pushToPullRequest(number, { files: { "src/notes.ts": "export const a = 2;\n" } });
    // Delivered without waiting in between: the older audit may be superseded, and must then publish nothing.
    const third = await (await import("../support/webhooks.js")).buildWebhook("pull_request.synchronize", { standin: h.standin, repo, pullNumber: number });
    await Promise.all([h.deliver(second.delivery, { id: "another-delivery" }), h.deliver(third)]);

    const runs = h.standin.checkRuns(repo.fullName);
    expect(runs.every((r) => r.status === "completed")).toBe(true);
    expect(runs.filter((r) => r.conclusion === "cancelled").every((r) => r.output.title === "Superseded by a newer audit")).toBe(true);
    const latest = runs.filter((r) => r.head_sha === head3);
    expect(latest.at(-1)?.conclusion).toBe("failure");
    expect(botComments(repo, number)).toHaveLength(1);
    expect(h.standin.reviewComments(repo.fullName, number)).toHaveLength(1);
  });
});

describe("a pull request touching nothing the audit reads", () => {
  it("passes at once without reading the repository", async () => {
    const repo = await newRepo();
    const number = await openPr(repo, { "README.md": "# shop\n\nNow with docs.\n", "docs/logo.png": "not really a png" });
    h.standin.resetRecording();
    await h.send("pull_request.opened", { repo, pullNumber: number });
    const [run] = h.standin.checkRuns(repo.fullName);
    expect(run).toMatchObject({ status: "completed", conclusion: "success" });
    expect(run.output.title).toBe("No migrations or query code changed");
    const routes = Object.keys(h.standin.routeCounts());
    expect(routes.some((r) => r.includes("/git/"))).toBe(false);
    expect(botComments(repo, number)).toHaveLength(0);
  });
});

describe("a push that takes back every relevant change", () => {
  it("passes at once and brings the summary up to date", async () => {
    const repo = await newRepo();
    const number = await openPr(repo, { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS, "docs/calls.md": "calls\n" });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    expect(botComments(repo, number)[0].body).toContain("**New:** 1");
    const head = await repo.pushToPullRequest(number, { files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: null } });
    await h.send("pull_request.synchronize", { repo, pullNumber: number });
    const run = h.standin.checkRuns(repo.fullName).find((r) => r.head_sha === head)!;
    expect(run).toMatchObject({ conclusion: "success", output: expect.objectContaining({ title: "No migrations or query code changed" }) });
    const summaries = botComments(repo, number);
    expect(summaries).toHaveLength(1);
    expect(summaries[0].body).toContain("**New:** 0");
  });
});

describe("an invalid configuration", () => {
  it("fails the check naming the key, and the summary comment says so once", async () => {
    const repo = await newRepo({ ".github/index-audit.yml": "fail-on: sometimes\nrulez:\n  fk-index: off\n" });
    const number = await openPr(repo, { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    await repo.pushToPullRequest(number, { files: { "src/a.ts": "export {};\n" } });
    await h.send("pull_request.synchronize", { repo, pullNumber: number });

    const runs = h.standin.checkRuns(repo.fullName);
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run.conclusion).toBe("failure");
      expect(run.output.summary).toContain("fail-on");
      expect(run.output.summary).toMatch(/rulez.*did you mean "rules"/);
    }
    const comments = botComments(repo, number);
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain("invalid configuration");
    expect(comments[0].edits ?? []).toHaveLength(0);
    expect(h.standin.reviews(repo.fullName, number)).toHaveLength(0);
  });

  it("notes that a configuration edited in the pull request applies after merge", async () => {
    const repo = await newRepo();
    const number = await openPr(repo, { ".github/index-audit.yml": "fail-on: never\n", [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    const [run] = h.standin.checkRuns(repo.fullName);
    // The default branch's settings (none: fail on important) still apply.
    expect(run.conclusion).toBe("failure");
    expect(botComments(repo, number)[0].body).toContain("applies after merge");
  });
});

describe("slash commands", () => {
  it("/audit from a collaborator re-runs the audit and acknowledges with 👀", async () => {
    const repo = await newRepo();
    const number = await openPr(repo, { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    h.standin.setPermission(repo.fullName, "alice", "write");
    const { delivery } = await h.send("issue_comment.created", { repo, pullNumber: number, sender: "alice", comment: { body: "Looks odd.\n/audit" } });
    const commentId = (delivery.payload.comment as { id: number }).id;
    expect(h.standin.reactions(commentId)).toEqual([expect.objectContaining({ content: "eyes" })]);
    const runs = h.standin.checkRuns(repo.fullName);
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({ status: "completed", conclusion: "failure" });
    // Same findings: still one inline comment and one summary.
    expect(h.standin.reviewComments(repo.fullName, number)).toHaveLength(1);
    expect(botComments(repo, number)).toHaveLength(1);
  });

  it("/audit from someone without write access gets one polite reply and no run", async () => {
    const repo = await newRepo();
    const number = await openPr(repo, { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    h.standin.setPermission(repo.fullName, "mallory", "read");
    const { delivery } = await h.send("issue_comment.created", { repo, pullNumber: number, sender: "mallory", comment: { body: "/audit" } });
    expect(h.standin.checkRuns(repo.fullName)).toHaveLength(0);
    const replies = botComments(repo, number);
    expect(replies).toHaveLength(1);
    expect(replies[0].body).toContain("Only people with write access");
    expect(h.standin.reactions((delivery.payload.comment as { id: number }).id)).toHaveLength(1);
    // A stranger GitHub does not know as a collaborator at all (404) is refused the same way.
    await h.send("issue_comment.created", { repo, pullNumber: number, sender: "stranger", comment: { body: "/audit" } });
    expect(h.standin.checkRuns(repo.fullName)).toHaveLength(0);
    expect(botComments(repo, number)).toHaveLength(2);
  });

  it("/audit help lists the commands; ordinary comments and bots are ignored", async () => {
    const repo = await newRepo();
    const number = await openPr(repo, { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    await h.send("issue_comment.created", { repo, pullNumber: number, comment: { body: "/audit help" } });
    expect(botComments(repo, number).map((c) => c.body)).toEqual([expect.stringContaining("`/audit full`")]);
    h.standin.resetRecording();
    await h.send("issue_comment.created", { repo, pullNumber: number, comment: { body: "thanks, I will /audit later" } });
    await h.send("issue_comment.created", { repo, pullNumber: number, sender: "dependabot[bot]", comment: { body: "/audit" } });
    expect(h.standin.requests()).toEqual([]);
  });

  it("/audit full posts the whole-repository report", async () => {
    const repo = await newRepo({ [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    const number = await openPr(repo, { "src/a.ts": "export {};\n" });
    await h.send("issue_comment.created", { repo, pullNumber: number, comment: { body: "/audit full" } });
    const [report] = botComments(repo, number);
    expect(report.body).toContain("Whole-repository audit");
    expect(report.body).toContain("call_logs");
    expect(report.body.length).toBeLessThanOrEqual(65_536);
  });
});

describe("the Re-audit button and check suites", () => {
  it("requested_action re-runs; check_suite.requested for an audited head runs once", async () => {
    const repo = await newRepo();
    const number = await openPr(repo, { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    await h.send("check_suite.requested", { repo, pullNumber: number });
    expect(h.standin.checkRuns(repo.fullName)).toHaveLength(1);
    const [run] = h.standin.checkRuns(repo.fullName);
    await h.send("check_run.requested_action", { repo, pullNumber: number, checkRunId: run.id, requestedAction: "re-audit" });
    const runs = h.standin.checkRuns(repo.fullName);
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({ status: "completed", conclusion: "failure" });
  });
});

describe("a push to a branch with no pull request", () => {
  it("check_suite.requested audits the commit against the one before it", async () => {
    const repo = await newRepo();
    const head = await repo.commit({ branch: "main", files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS } });
    await h.send("check_suite.requested", { repo, headSha: head });
    const [run] = h.standin.checkRuns(repo.fullName);
    expect(run).toMatchObject({ head_sha: head, status: "completed", conclusion: "failure" });
    expect(run.annotationBatches.flat()).toHaveLength(1);
  });
});

describe("webhook security", () => {
  it("rejects a forged signature with 400 and does nothing", async () => {
    const repo = await newRepo();
    const number = await openPr(repo, { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    h.standin.resetRecording();
    const { status } = await h.send("pull_request.opened", { repo, pullNumber: number }, { forgedSecret: "not-the-secret" });
    expect(status).toBe(400);
    expect(h.standin.requests()).toEqual([]);
    expect(h.standin.checkRuns(repo.fullName)).toHaveLength(0);
  });
});

describe("GitHub API failures", () => {
  it("retries a 5xx and completes", async () => {
    const repo = await newRepo();
    const number = await openPr(repo, { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    h.standin.resetRecording();
    h.standin.failNext({ route: "/repos/{owner}/{repo}/pulls/{pull_number}/files", status: 502 });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    const filesRequests = h.standin.requests().filter((r) => r.route === "/repos/{owner}/{repo}/pulls/{pull_number}/files");
    expect(filesRequests.map((r) => r.status)).toEqual([502, 200]);
    expect(h.standin.checkRuns(repo.fullName)[0]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(h.standin.reviewComments(repo.fullName, number)).toHaveLength(1);
  });

  it("an error that outlasts the retries ends the check run as failure with a message", async () => {
    const repo = await newRepo();
    // A file of its own: a commit identical to another test's (same content, same second) has the same SHA,
    // and the app rightly reuses the audit it already made of that SHA.
    const number = await openPr(repo, { [`${MIGRATIONS}/20240201000001_calls_again.sql`]: CALLS });
    h.standin.failNext({ route: "/repos/{owner}/{repo}/git/trees/{tree_sha}", status: 500, times: 8, message: "tree service unavailable" });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    const [run] = h.standin.checkRuns(repo.fullName);
    expect(run).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(run.output.title).toBe("The audit stopped on an internal error");
    expect(run.output.summary).toContain("tree service unavailable");
    expect(botComments(repo, number)).toHaveLength(0);
  });
});
