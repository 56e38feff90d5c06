import { createHash } from "node:crypto";
import { Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  generateAppCredentials,
  startGitHubStandin,
  type GitHubStandin,
  type PullRequestInfo,
  type RepoHandle,
} from "../support/github-standin/index.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

// Git's object id for file content, computed here independently of git.
function gitBlobSha(content: string | Buffer): string {
  const bytes = typeof content === "string" ? Buffer.from(content) : content;
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

function numberedLines(count: number, change?: (n: number) => string): string {
  return Array.from({ length: count }, (_, i) => (change ? change(i + 1) : `line ${i + 1}`)).join("\n") + "\n";
}

const credentials = generateAppCredentials();

// Probot's throttling spaces writes a second apart; tests switch it off (and the retry plugin, to see raw failures).
function octokitFor(standin: GitHubStandin, retry = false): Promise<Octokit> {
  const Octokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
    ...options,
    throttle: { ...(options.throttle as object), enabled: false },
    retry: { enabled: retry },
  }));
  const probot = new Probot({ ...credentials, baseUrl: standin.url, Octokit: Octokit as typeof ProbotOctokit, logLevel: "fatal" });
  return probot.auth(standin.installationId) as Promise<Octokit>;
}

const BASE_FILES = {
  "supabase/migrations/001_init.sql": "create table orders (\n  id bigint primary key,\n  customer_id bigint not null\n);\n",
  "src/db.ts": numberedLines(20),
  "README.md": "# shop\n",
  "assets/logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0xff]),
};
const HEAD_CHANGES = {
  "supabase/migrations/002_items.sql": "create table items (\n  order_id bigint references orders(id)\n);\n",
  "src/db.ts": numberedLines(20, (n) => (n === 10 ? "LINE 10" : `line ${n}`)),
  "README.md": null,
};

describe("GitHub stand-in", () => {
  let gh: GitHubStandin;
  let repo: RepoHandle;
  let pr: PullRequestInfo;
  let octokit: Octokit;
  const shop = { owner: "acme", repo: "shop" };

  beforeAll(async () => {
    gh = await startGitHubStandin({ validateResponses: true });
    repo = await gh.createRepo({ owner: "acme", name: "shop", files: { ...BASE_FILES, ".github/index-audit.yml": "fail-on: routine\n" } });
    await repo.commit({ branch: "feature", files: HEAD_CHANGES, message: "Add items" });
    pr = await repo.openPullRequest({ head: "feature", title: "Add items" });
    octokit = await octokitFor(gh);
  });
  afterAll(async () => {
    await gh?.close();
  });
  beforeEach(() => gh.resetRecording());
  // A client authenticated as the app itself (JWT), as Probot uses for app-level routes.
  const probotApp = async () => {
    const probot = new Probot({ ...credentials, baseUrl: gh.url, logLevel: "fatal" });
    return { octokit: (await probot.auth()) as Octokit };
  };

  it("serves the recursive tree and blobs of a real git commit, with git's own SHAs", async () => {
    const { data: commit } = await octokit.rest.git.getCommit({ ...shop, commit_sha: pr.headSha });
    expect(commit.sha).toBe(pr.headSha);
    expect(commit.message).toBe("Add items");
    expect(commit.parents.map((p) => p.sha)).toEqual([pr.baseSha]);

    const { data: tree } = await octokit.rest.git.getTree({ ...shop, tree_sha: commit.tree.sha, recursive: "1" });
    expect(tree.truncated).toBe(false);
    const expected: Record<string, string | Buffer> = { ...BASE_FILES, ".github/index-audit.yml": "fail-on: routine\n" };
    delete expected["README.md"];
    Object.assign(expected, { "supabase/migrations/002_items.sql": HEAD_CHANGES["supabase/migrations/002_items.sql"], "src/db.ts": HEAD_CHANGES["src/db.ts"] });
    const blobs = tree.tree.filter((e) => e.type === "blob");
    expect(Object.fromEntries(blobs.map((e) => [e.path, e.sha]))).toEqual(
      Object.fromEntries(Object.entries(expected).map(([path, content]) => [path, gitBlobSha(content)])),
    );
    expect(tree.tree.filter((e) => e.type === "tree").map((e) => e.path).sort()).toEqual(
      [".github", "assets", "src", "supabase", "supabase/migrations"],
    );
    const logo = blobs.find((e) => e.path === "assets/logo.png")!;
    expect(logo.size).toBe(8);

    const { data: blob } = await octokit.rest.git.getBlob({ ...shop, file_sha: logo.sha! });
    expect(blob.encoding).toBe("base64");
    expect(Buffer.from(blob.content, "base64")).toEqual(BASE_FILES["assets/logo.png"]);
    await expect(octokit.rest.git.getBlob({ ...shop, file_sha: "0".repeat(40) })).rejects.toMatchObject({ status: 404 });
    expect(gh.violations()).toEqual([]);
  });

  it("lists a pull request's files with statuses and the real diff hunks", async () => {
    const { data: pull } = await octokit.rest.pulls.get({ ...shop, pull_number: pr.number });
    expect(pull.head.sha).toBe(pr.headSha);
    expect(pull.base.ref).toBe("main");
    expect(pull.changed_files).toBe(3);

    const files = await octokit.paginate(octokit.rest.pulls.listFiles, { ...shop, pull_number: pr.number, per_page: 100 });
    const byName = Object.fromEntries(files.map((f) => [f.filename, f]));
    expect(Object.keys(byName).sort()).toEqual(["README.md", "src/db.ts", "supabase/migrations/002_items.sql"]);
    expect(byName["README.md"]!.status).toBe("removed");
    expect(byName["supabase/migrations/002_items.sql"]).toMatchObject({
      status: "added",
      additions: 3,
      deletions: 0,
      sha: gitBlobSha(HEAD_CHANGES["supabase/migrations/002_items.sql"]),
      patch: "@@ -0,0 +1,3 @@\n+create table items (\n+  order_id bigint references orders(id)\n+);",
    });
    expect(byName["src/db.ts"]).toMatchObject({
      status: "modified",
      additions: 1,
      deletions: 1,
      changes: 2,
      patch: "@@ -7,7 +7,7 @@ line 6\n line 7\n line 8\n line 9\n-line 10\n+LINE 10\n line 11\n line 12\n line 13",
    });

    const { data: comparison } = await octokit.rest.repos.compareCommitsWithBasehead({ ...shop, basehead: "main...feature" });
    expect(comparison.status).toBe("ahead");
    expect(comparison.ahead_by).toBe(1);
    expect(comparison.commits.map((c) => c.sha)).toEqual([pr.headSha]);
    expect(comparison.files?.map((f) => f.filename).sort()).toEqual(Object.keys(byName).sort());
    expect(gh.violations()).toEqual([]);
  });

  it("reads the config file raw, and falls back to the owner's .github repository with _extends", async () => {
    const own = await octokit.config.get({ ...shop, path: ".github/index-audit.yml" });
    expect(own.config).toEqual({ "fail-on": "routine" });

    await gh.createRepo({ owner: "acme", name: "plain", files: { "db/schema.sql": "select 1;\n" } });
    await gh.createRepo({ owner: "acme", name: ".github", files: { ".github/index-audit.yml": "fail-on: noted\n_extends: shared-settings\n" } });
    await gh.createRepo({ owner: "acme", name: "shared-settings", files: { ".github/index-audit.yml": "paths:\n  - src\n" } });
    const inherited = await octokit.config.get({ owner: "acme", repo: "plain", path: ".github/index-audit.yml" });
    expect(inherited.config).toEqual({ "fail-on": "noted", paths: ["src"] });
    expect(gh.requests().map((r) => `${r.status} ${decodeURIComponent(r.path)}`)).toEqual([
      "200 /repos/acme/shop/contents/.github/index-audit.yml",
      "404 /repos/acme/plain/contents/.github/index-audit.yml",
      "200 /repos/acme/.github/contents/.github/index-audit.yml",
      "200 /repos/acme/shared-settings/contents/.github/index-audit.yml",
    ]);

    const { data: listing } = await octokit.rest.repos.getContent({ ...shop, path: "supabase/migrations", ref: pr.headSha });
    expect(Array.isArray(listing) && listing.map((e) => e.name)).toEqual(["001_init.sql", "002_items.sql"]);
    expect(gh.violations()).toEqual([]);
  });

  it("rejects a whole review with 422 when one comment is off the diff, and accepts lines inside the hunks", async () => {
    const review = (comments: { path: string; line: number; side: "LEFT" | "RIGHT"; body: string }[]) =>
      octokit.rest.pulls.createReview({ ...shop, pull_number: pr.number, commit_id: pr.headSha, event: "COMMENT", body: "index-audit", comments });

    await expect(
      review([
        { path: "src/db.ts", line: 10, side: "RIGHT", body: "fine" },
        { path: "src/db.ts", line: 2, side: "RIGHT", body: "line 2 is outside the hunk" },
      ]),
    ).rejects.toMatchObject({ status: 422, message: expect.stringContaining("Unprocessable Entity") });
    await expect(review([{ path: "src/db.ts", line: 14, side: "RIGHT", body: "just past the hunk" }])).rejects.toMatchObject({ status: 422 });
    await expect(review([{ path: "src/other.ts", line: 1, side: "RIGHT", body: "not in the PR" }])).rejects.toMatchObject({ status: 422 });
    expect(gh.reviews("acme/shop", pr.number)).toEqual([]);

    const { data } = await review([
      { path: "src/db.ts", line: 10, side: "RIGHT", body: "changed line" },
      { path: "src/db.ts", line: 13, side: "RIGHT", body: "last context line" },
      { path: "src/db.ts", line: 10, side: "LEFT", body: "removed line" },
      { path: "supabase/migrations/002_items.sql", line: 2, side: "RIGHT", body: "add an index" },
    ]);
    expect(data.state).toBe("COMMENTED");
    const [stored] = gh.reviews("acme/shop", pr.number);
    expect(stored!.comments.map((c) => [c.path, c.side, c.line])).toEqual([
      ["src/db.ts", "RIGHT", 10],
      ["src/db.ts", "RIGHT", 13],
      ["src/db.ts", "LEFT", 10],
      ["supabase/migrations/002_items.sql", "RIGHT", 2],
    ]);
    expect(stored!.comments[0]!.diff_hunk).toBe("@@ -7,7 +7,7 @@ line 6\n line 7\n line 8\n line 9\n-line 10\n+LINE 10");

    const listed = await octokit.paginate(octokit.rest.pulls.listReviewComments, { ...shop, pull_number: pr.number });
    const { data: reply } = await octokit.rest.pulls.createReplyForReviewComment({
      ...shop,
      pull_number: pr.number,
      comment_id: listed[3]!.id,
      body: "Fixed in the latest push.",
    });
    expect(reply.in_reply_to_id).toBe(listed[3]!.id);
    const thread = gh.reviewComments("acme/shop", pr.number).filter((c) => (c.in_reply_to_id ?? c.id) === listed[3]!.id);
    expect(thread.map((c) => [c.user, c.body])).toEqual([
      ["index-audit[bot]", "add an index"],
      ["index-audit[bot]", "Fixed in the latest push."],
    ]);
    expect(gh.violations()).toEqual([]);
  });

  it("checks multi-line ranges and legacy positions against the diff too", async () => {
    const review = (comment: Record<string, unknown>) =>
      octokit.request("POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews", {
        ...shop,
        pull_number: pr.number,
        event: "COMMENT",
        body: "range",
        comments: [{ path: "src/db.ts", body: "range", ...comment }],
      });
    const before = gh.reviews("acme/shop", pr.number).length;
    await review({ start_line: 8, line: 11, side: "RIGHT" });
    await expect(review({ start_line: 3, line: 10, side: "RIGHT" })).rejects.toMatchObject({ status: 422 });
    await expect(review({ start_line: 11, line: 10, side: "RIGHT" })).rejects.toMatchObject({ status: 422 });
    // Position 5 is the patch's fifth line after the hunk header: "+LINE 10".
    await review({ position: 5 });
    await expect(review({ position: 9 })).rejects.toMatchObject({ status: 422 });
    const added = gh.reviews("acme/shop", pr.number).slice(before).map((r) => r.comments[0]);
    expect(added.map((c) => [c!.start_line, c!.line, c!.position])).toEqual([
      [8, 11, 6],
      [null, null, 5],
    ]);
    expect(added[1]!.diff_hunk.split("\n").at(-1)).toBe("+LINE 10");
    expect(gh.violations()).toEqual([]);
  });

  it("serves the other read endpoints in the shapes GitHub documents", async () => {
    const { data: installation } = await (await probotApp()).octokit.rest.apps.getRepoInstallation(shop);
    expect(installation.id).toBe(gh.installationId);
    const { data: repository } = await octokit.rest.repos.get(shop);
    expect(repository).toMatchObject({ full_name: "acme/shop", default_branch: "main", private: false });
    const { data: commit } = await octokit.rest.repos.getCommit({ ...shop, ref: "feature" });
    expect(commit.sha).toBe(pr.headSha);
    expect(commit.stats).toEqual({ total: 6, additions: 4, deletions: 2 });
    expect(commit.files?.map((f) => f.filename).sort()).toEqual(["README.md", "src/db.ts", "supabase/migrations/002_items.sql"]);
    const open = await octokit.paginate(octokit.rest.pulls.list, { ...shop, state: "open", head: "acme:feature" });
    expect(open.map((p) => p.number)).toEqual([pr.number]);
    expect(await octokit.paginate(octokit.rest.pulls.list, { ...shop, head: "acme:nothing" })).toEqual([]);
    const { data: run } = await octokit.rest.checks.create({ ...shop, name: "shape", head_sha: pr.baseSha });
    expect((await octokit.rest.checks.get({ ...shop, check_run_id: run.id })).data).toMatchObject({ name: "shape", status: "queued" });
    await expect(octokit.rest.checks.create({ ...shop, name: "shape", head_sha: "f".repeat(40) })).rejects.toMatchObject({ status: 422 });
    expect(gh.violations()).toEqual([]);
  });

  it("leaves the content of files over 1 MB out of the contents JSON, as GitHub does, but serves them raw", async () => {
    const big = "-- filler\n".repeat(120_000);
    const sha = await repo.commit({ branch: "big-file", files: { "db/huge.sql": big } });
    const { data } = await octokit.rest.repos.getContent({ ...shop, path: "db/huge.sql", ref: sha });
    expect(data).toMatchObject({ type: "file", encoding: "none", content: "", size: big.length, sha: gitBlobSha(big) });
    const raw = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", { ...shop, path: "db/huge.sql", ref: sha, mediaType: { format: "raw" } });
    expect(raw.data).toBe(big);
    const { data: blob } = await octokit.rest.git.getBlob({ ...shop, file_sha: gitBlobSha(big) });
    expect(Buffer.from(blob.content, "base64").toString("utf8")).toBe(big);
  });

  it("merges check-run updates, keeps annotation batches, and enforces GitHub's limits with 422", async () => {
    const { data: created } = await octokit.rest.checks.create({ ...shop, name: "index-audit", head_sha: pr.headSha, status: "in_progress" });
    const annotation = (n: number) => ({ path: "src/db.ts", start_line: 10, end_line: 10, annotation_level: "warning" as const, message: `finding ${n}` });
    const update = (body: Record<string, unknown>) => octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { ...shop, check_run_id: created.id, ...body });

    await update({ output: { title: "Auditing", summary: "50 findings", annotations: Array.from({ length: 50 }, (_, i) => annotation(i)) } });
    await expect(update({ output: { title: "t", summary: "s", annotations: Array.from({ length: 51 }, (_, i) => annotation(i)) } })).rejects.toMatchObject({ status: 422 });
    await expect(update({ output: { title: "t", summary: "x".repeat(65_536) } })).rejects.toMatchObject({ status: 422 });
    await expect(update({ output: { title: "t", summary: "s", text: "x".repeat(65_536) } })).rejects.toMatchObject({ status: 422 });
    const action = (n: number) => ({ label: `Action ${n}`, description: "Run again", identifier: `action-${n}` });
    await expect(update({ actions: [1, 2, 3, 4].map(action) })).rejects.toMatchObject({ status: 422 });
    await update({
      conclusion: "failure",
      output: { title: "1 important finding", summary: "x".repeat(65_535), annotations: [annotation(50), annotation(51), annotation(52)] },
      actions: [action(1)],
    });

    const run = gh.checkRuns("acme/shop").find((r) => r.id === created.id);
    expect(run).toMatchObject({
      id: created.id,
      status: "completed",
      conclusion: "failure",
      updates: 2,
      actions: [action(1)],
      output: { title: "1 important finding", annotations_count: 53 },
    });
    expect(run!.output.summary).toHaveLength(65_535);
    expect(run!.annotationBatches.map((batch) => batch.length)).toEqual([50, 3]);
    expect(run!.annotationBatches[1]!.map((a) => a.message)).toEqual(["finding 50", "finding 51", "finding 52"]);

    const { data: listed } = await octokit.rest.checks.listForRef({ ...shop, ref: "feature", check_name: "index-audit" });
    expect(listed.total_count).toBe(1);
    expect(listed.check_runs[0]).toMatchObject({ id: created.id, conclusion: "failure", pull_requests: [{ number: pr.number }] });
    // The refused requests are also reported as breaking the published schema.
    expect(gh.violations().map((v) => v.message)).toEqual([
      expect.stringContaining("must NOT have more than 50 items"),
      expect.stringContaining("must NOT have more than 65535 characters"),
      expect.stringContaining("must NOT have more than 65535 characters"),
      expect.stringContaining("must NOT have more than 3 items"),
    ]);
  });

  it("reports bodies, routes and query parameters that GitHub's OpenAPI description does not allow", async () => {
    await expect(
      // "running" is not one of GitHub's check-run statuses; the cast gets it past Octokit's types.
      octokit.request("POST /repos/{owner}/{repo}/check-runs", { ...shop, name: "index-audit", head_sha: pr.headSha, status: "running" as never }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(octokit.request("GET /repos/{owner}/{repo}/frobnicate", shop)).rejects.toMatchObject({ status: 404 });
    await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", { ...shop, pull_number: pr.number, colour: "blue" });
    await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", { ...shop, pull_number: pr.number, per_page: 100 });

    expect(gh.violations()).toEqual([
      {
        method: "POST",
        path: "/repos/acme/shop/check-runs",
        message: "checks/create: request body invalid: body/status must be equal to one of the allowed values",
      },
      { method: "GET", path: "/repos/acme/shop/frobnicate", message: "no such operation in GitHub's REST API" },
      { method: "GET", path: "/repos/acme/shop/pulls/1/files", message: 'pulls/list-files: unknown query parameter "colour"' },
    ]);
    expect(gh.checkRuns("acme/shop").filter((r) => r.name === "index-audit")).toHaveLength(1);
    expect(gh.requests().map((r) => [r.method, r.route, r.status])).toEqual([
      ["POST", "/repos/{owner}/{repo}/check-runs", 422],
      ["GET", null, 404],
      ["GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", 200],
      ["GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", 200],
    ]);
    expect(gh.routeCounts()).toEqual({
      "GET /repos/acme/shop/frobnicate": 1,
      "GET /repos/{owner}/{repo}/pulls/{pull_number}/files": 2,
      "POST /repos/{owner}/{repo}/check-runs": 1,
    });
  });

  it("keeps issue comments current, counts reactions once per user, and answers permission levels", async () => {
    const { data: summary } = await octokit.rest.issues.createComment({ ...shop, issue_number: pr.number, body: "first audit" });
    await octokit.rest.issues.updateComment({ ...shop, comment_id: summary.id, body: "second audit" });
    const command = gh.addIssueComment("acme/shop", pr.number, { body: "/audit", user: "alice" });
    const first = await octokit.rest.reactions.createForIssueComment({ ...shop, comment_id: command.id, content: "eyes" });
    const again = await octokit.rest.reactions.createForIssueComment({ ...shop, comment_id: command.id, content: "eyes" });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(gh.reactions(command.id)).toEqual([{ id: first.data.id, content: "eyes", user: "index-audit[bot]" }]);
    expect(gh.issueComments("acme/shop", pr.number).map((c) => [c.user, c.body, c.edits])).toEqual([
      ["index-audit[bot]", "second audit", ["first audit"]],
      ["alice", "/audit", []],
    ]);
    const listed = await octokit.paginate(octokit.rest.issues.listComments, { ...shop, issue_number: pr.number });
    expect(listed.map((c) => c.body)).toEqual(["second audit", "/audit"]);

    gh.setPermission("acme/shop", "alice", "write");
    const permission = async (owner: string, name: string, username: string) =>
      (await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo: name, username })).data.permission;
    expect(await permission("acme", "shop", "alice")).toBe("write");
    expect(await permission("acme", "shop", "acme")).toBe("admin");
    expect(await permission("acme", "shop", "mallory")).toBe("read");
    await gh.createRepo({ owner: "acme", name: "secret", files: { "a.sql": "select 1;\n" }, private: true });
    expect(await permission("acme", "secret", "mallory")).toBe("none");
    expect(gh.violations()).toEqual([]);
  });

  it("fails the next matching requests as asked, with GitHub's rate-limit headers", async () => {
    const raw = await octokitFor(gh, false);
    gh.failNext({ route: "/repos/{owner}/{repo}/pulls/{pull_number}", status: 502, times: 2 });
    gh.failNext({ method: "GET", route: /\/git\/trees\//, status: 403 });
    gh.failNext({ route: "/repos/{owner}/{repo}/pulls/{pull_number}/files", status: 429, retryAfter: 7 });

    await expect(raw.rest.pulls.get({ ...shop, pull_number: pr.number })).rejects.toMatchObject({ status: 502 });
    await expect(raw.rest.pulls.get({ ...shop, pull_number: pr.number })).rejects.toMatchObject({ status: 502 });
    expect((await raw.rest.pulls.get({ ...shop, pull_number: pr.number })).status).toBe(200);

    const limited = await raw.rest.git.getTree({ ...shop, tree_sha: pr.headSha }).catch((e: { status: number; response: { headers: Record<string, string> } }) => e);
    expect(limited).toMatchObject({ status: 403, response: { headers: { "x-ratelimit-remaining": "0" } } });
    expect(Number((limited as { response: { headers: Record<string, string> } }).response.headers["x-ratelimit-reset"])).toBeGreaterThan(Date.now() / 1000);

    const secondary = await raw.rest.pulls.listFiles({ ...shop, pull_number: pr.number }).catch((e: { status: number; response: { headers: Record<string, string> } }) => e);
    expect(secondary).toMatchObject({ status: 429, response: { headers: { "retry-after": "7" } } });

    const ok = await raw.rest.git.getTree({ ...shop, tree_sha: pr.headSha });
    expect(Number(ok.headers["x-ratelimit-remaining"])).toBeLessThan(Number(ok.headers["x-ratelimit-limit"]));
  });

  it("holds a request until the test releases it, so a push can land while the app waits on GitHub", async () => {
    const held = gh.holdNext({ route: "/repos/{owner}/{repo}/pulls/{pull_number}" });
    const pending = octokit.rest.pulls.get({ ...shop, pull_number: pr.number });
    const arrived = await held.reached;
    expect(arrived).toMatchObject({ method: "GET", path: `/repos/acme/shop/pulls/${pr.number}` });
    expect(gh.requests().at(-1)!.status).toBe(0);
    const pushed = await repo.pushToPullRequest(pr.number, { files: { "src/db.ts": HEAD_CHANGES["src/db.ts"] + "line 21\n" } });
    held.release();
    expect((await pending).data.head.sha).toBe(pushed);
    expect(gh.requests().at(-1)!.status).toBe(200);
    pr = repo.pullRequest(pr.number);
  });

  it("asks for credentials: 401 without a token, and installation tokens only from a well-formed app JWT", async () => {
    const anonymous = await fetch(`${gh.url}/repos/acme/shop/pulls/1`);
    expect(anonymous.status).toBe(401);
    const forged = await fetch(`${gh.url}/app/installations/${gh.installationId}/access_tokens`, {
      method: "POST",
      headers: { authorization: "bearer not-a-jwt" },
    });
    expect(forged.status).toBe(401);
    const unknownToken = await fetch(`${gh.url}/repos/acme/shop/pulls/1`, { headers: { authorization: "token ghs_unknown" } });
    expect(unknownToken.status).toBe(401);
  });
});

describe("GitHub stand-in limits on large repositories", () => {
  let gh: GitHubStandin;
  let octokit: Octokit;
  let pr: PullRequestInfo;
  const big = { owner: "acme", repo: "big" };

  beforeAll(async () => {
    gh = await startGitHubStandin({ pullFilesLimit: 230, treeEntryLimit: 100 });
    const repo = await gh.createRepo({ owner: "acme", name: "big", files: { "README.md": "# big\n" } });
    const files = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`migrations/${String(i).padStart(4, "0")}.sql`, `select ${i};\n`]));
    await repo.commit({ branch: "many", files });
    pr = await repo.openPullRequest({ head: "many" });
    octokit = await octokitFor(gh);
  });
  afterAll(async () => {
    await gh?.close();
  });

  it("pages pull request files 100 at a time and stops at the files cap", async () => {
    const files = await octokit.paginate(octokit.rest.pulls.listFiles, { ...big, pull_number: pr.number, per_page: 100 });
    expect(files).toHaveLength(230);
    expect(new Set(files.map((f) => f.filename)).size).toBe(230);
    expect(gh.routeCounts()["GET /repos/{owner}/{repo}/pulls/{pull_number}/files"]).toBe(3);
    const { data: pull } = await octokit.rest.pulls.get({ ...big, pull_number: pr.number });
    expect(pull.changed_files).toBe(250);
  });

  it("marks a recursive tree larger than the limit as truncated", async () => {
    const { data: tree } = await octokit.rest.git.getTree({ ...big, tree_sha: pr.headSha, recursive: "1" });
    expect(tree.truncated).toBe(true);
    expect(tree.tree).toHaveLength(100);
    const { data: top } = await octokit.rest.git.getTree({ ...big, tree_sha: pr.headSha });
    expect(top.truncated).toBe(false);
    expect(top.tree.map((e) => e.path)).toEqual(["README.md", "migrations"]);
    expect(gh.violations()).toEqual([]);
  });
});

describe("GitHub stand-in GraphQL blob batches", () => {
  let gh: GitHubStandin;
  let octokit: Octokit;
  const files = {
    "db/001.sql": "create table a (id int);\n",
    "db/002.sql": "select 1;\n",
    "assets/logo.png": Buffer.from([0x89, 0x50, 0x00, 0x47]),
  };
  const blobQuery = (owner: string, name: string, oids: string[]) =>
    `query($owner: String!, $name: String!) {\n  repository(owner: $owner, name: $name) {\n${oids
      .map((oid, i) => `    b${i}: object(oid: "${oid}") { ... on Blob { oid byteSize isBinary isTruncated text } }`)
      .join("\n")}\n  }\n}`;

  beforeAll(async () => {
    gh = await startGitHubStandin({ graphqlBlobTextLimit: 12 });
    await gh.createRepo({ owner: "acme", name: "gql", files });
    octokit = await octokitFor(gh);
  });
  afterAll(async () => {
    await gh?.close();
  });

  it("answers many blobs in one query: text, binary, truncated, and null for unknown ids", async () => {
    const oids = [gitBlobSha(files["db/002.sql"]), gitBlobSha(files["db/001.sql"]), gitBlobSha(files["assets/logo.png"]), "f".repeat(40)];
    const result = await octokit.graphql<{ repository: Record<string, unknown> }>(blobQuery("acme", "gql", oids), { owner: "acme", name: "gql" });
    expect(result.repository).toEqual({
      b0: { oid: oids[0], byteSize: 10, isBinary: false, isTruncated: false, text: "select 1;\n" },
      b1: { oid: oids[1], byteSize: 25, isBinary: false, isTruncated: true, text: "create table" },
      b2: { oid: oids[2], byteSize: 4, isBinary: true, isTruncated: false, text: null },
      b3: null,
    });
    expect(gh.routeCounts()).toMatchObject({ "POST /graphql": 1 });
    expect(gh.violations()).toEqual([]);
  });

  it("answers an unknown repository with GitHub's NOT_FOUND error, fails on request, and flags other queries", async () => {
    await expect(octokit.graphql(blobQuery("acme", "missing", ["f".repeat(40)]), { owner: "acme", name: "missing" })).rejects.toMatchObject({
      errors: [{ type: "NOT_FOUND", message: "Could not resolve to a Repository with the name 'acme/missing'." }],
      data: { repository: null },
    });
    gh.failNext({ route: "/graphql", status: 502 });
    await expect(octokit.graphql(blobQuery("acme", "gql", ["f".repeat(40)]), { owner: "acme", name: "gql" })).rejects.toMatchObject({ status: 502 });
    await expect(octokit.graphql("query { viewer { login } }")).rejects.toThrow(/stand-in answers only repository/);
    expect(gh.violations().map((v) => v.path)).toEqual(["/graphql"]);
  });
});
