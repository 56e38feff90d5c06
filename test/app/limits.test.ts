// Pull requests and repositories past GitHub's listing limits: the audit degrades and says so.
// The stand-in's limits are lowered so the scenario stays small.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ standin: { pullFilesLimit: 120, treeEntryLimit: 100 }, app: { maxReviewComments: 1 } });
});
afterAll(async () => h?.close());

it("a huge pull request in a truncated tree still gets its verdict, with notes on what was not seen", async () => {
  const repo = await h.standin.createRepo({
    owner: "acme",
    name: "monolith",
    files: {
      "supabase/migrations/20240101000000_init.sql": "create table organizations (id uuid primary key);\n",
      "README.md": "# monolith\n",
      ".github/index-audit.yml": "tables:\n  call_logs:\n    rows: 1000000\n",
    },
  });
  const notes = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`z-notes/note-${String(i).padStart(3, "0")}.md`, `note ${i}\n`]));
  await repo.commit({
    branch: "feature",
    files: {
      ...notes,
      "supabase/migrations/20240201000000_calls.sql":
        "create table call_logs (id uuid primary key, organization_id uuid references organizations (id) on delete cascade);\n",
    },
  });
  const pr = await repo.openPullRequest({ head: "feature" });
  await h.send("pull_request.opened", { repo, pullNumber: pr.number });

  const [run] = h.standin.checkRuns(repo.fullName);
  expect(run).toMatchObject({ status: "completed", conclusion: "failure" });
  expect(run.output.summary).toContain("This pull request changes 131 files; GitHub lists only the first 120.");
  expect(run.output.summary).toMatch(/GitHub truncated the file tree of the head/);
  // The finding in a listed file is still commented inline.
  expect(h.standin.reviewComments(repo.fullName, pr.number)).toHaveLength(1);
  expect(h.standin.violations()).toEqual([]);
});

it("more new findings on changed lines than one review holds: the rest go to the summary", async () => {
  const repo = await h.standin.createRepo({
    owner: "acme",
    name: "many-fks",
    files: {
      "supabase/migrations/20240101000000_init.sql": "create table organizations (id uuid primary key);\ncreate table sites (id uuid primary key);\n",
      ".github/index-audit.yml": "tables:\n  call_logs:\n    rows: 1000000\n",
    },
  });
  await repo.commit({
    branch: "feature",
    files: {
      "supabase/migrations/20240201000000_calls.sql": [
        "create table call_logs (id uuid primary key, organization_id uuid, site_id uuid);",
        "alter table call_logs add constraint call_logs_org_fkey foreign key (organization_id) references organizations (id) on delete cascade;",
        "alter table call_logs add constraint call_logs_site_fkey foreign key (site_id) references sites (id) on delete cascade;",
        "",
      ].join("\n"),
    },
  });
  const pr = await repo.openPullRequest({ head: "feature" });
  await h.send("pull_request.opened", { repo, pullNumber: pr.number });
  expect(h.standin.reviewComments(repo.fullName, pr.number)).toHaveLength(1);
  const [run] = h.standin.checkRuns(repo.fullName);
  expect(run.output.summary).toContain("1 more new finding on changed lines did not fit in one review (at most 1)");
  expect(run.annotationBatches.flat()).toHaveLength(2);
  expect(h.standin.violations()).toEqual([]);
});

it("a tree too large to list: the pull request's own files are read directly, and a pass is only neutral", async () => {
  // The notes sort before the migrations, so the truncated listing ends before them.
  const notes = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`a-notes/note-${String(i).padStart(3, "0")}.md`, `note ${i}\n`]));
  const repo = await h.standin.createRepo({
    owner: "acme",
    name: "deep-monolith",
    files: {
      ...notes,
      "supabase/migrations/20240101000000_init.sql": "create table organizations (id uuid primary key);\n",
      ".github/index-audit.yml": "tables:\n  call_logs:\n    rows: 1000000\n",
    },
  });
  await repo.commit({
    branch: "feature",
    files: {
      "supabase/migrations/20240201000000_calls.sql":
        "create table call_logs (id uuid primary key, organization_id uuid references organizations (id) on delete cascade);\n",
    },
  });
  const pr = await repo.openPullRequest({ head: "feature" });
  await h.send("pull_request.opened", { repo, pullNumber: pr.number });
  const [run] = h.standin.checkRuns(repo.fullName);
  // The new migration is past the listing, yet its missing index is found and commented.
  expect(run).toMatchObject({ status: "completed", conclusion: "failure" });
  expect(run.output.summary).toContain("The 1 changed file missing from the listing was read directly.");
  expect(h.standin.reviewComments(repo.fullName, pr.number)).toHaveLength(1);

  // A change with nothing to find still cannot pass on a partial view.
  await repo.commit({ branch: "tidy", files: { "supabase/migrations/20240301000000_tidy.sql": "create table tags (id bigint primary key);\n" } });
  const tidy = await repo.openPullRequest({ head: "tidy" });
  await h.send("pull_request.opened", { repo, pullNumber: tidy.number });
  const tidyRun = h.standin.checkRuns(repo.fullName).find((r) => r.head_sha === tidy.headSha)!;
  expect(tidyRun).toMatchObject({ status: "completed", conclusion: "neutral" });
  expect(tidyRun.output.summary).toMatch(/GitHub truncated the file tree of the head/);
  expect(h.standin.violations()).toEqual([]);
});
