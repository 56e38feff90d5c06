// Two app processes behind one webhook URL's worth of deliveries, sharing one real PostgreSQL server
// (DATABASE_URL) and one stand-in GitHub: whichever instance a delivery reaches, a pull request gets
// one check run per head and one summary comment, and a redelivery is handled once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateAppCredentials, startGitHubStandin, type GitHubStandin } from "../support/github-standin/index.js";
import { buildWebhook, deliverWebhook } from "../support/webhooks.js";
import { killAppProcesses, startAppProcess, until, type AppProcess } from "../support/app-process.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";

const SECRET = "instances-test-secret";
const MIGRATIONS = "supabase/migrations";
const INIT = "create table organizations (id uuid primary key);\n";
const CALLS =
  "create table call_logs (id uuid primary key, organization_id uuid not null);\nalter table call_logs add constraint call_logs_org_fkey foreign key (organization_id) references organizations (id) on delete cascade;\n";

let standin: GitHubStandin;
let database: TestPostgres;
let instances: AppProcess[] = [];

beforeAll(async () => {
  const credentials = generateAppCredentials();
  [standin, database] = await Promise.all([startGitHubStandin({ appId: credentials.appId }), startPostgres()]);
  const settings = { appId: credentials.appId, privateKey: credentials.privateKey, secret: SECRET, githubUrl: standin.url };
  instances = await Promise.all([0, 1].map(() => startAppProcess(settings, { DATABASE_URL: database.url })));
}, 120_000);
afterAll(async () => {
  for (const app of instances) app.child.kill("SIGTERM");
  await Promise.all(instances.map((app) => app.exited));
  killAppProcesses();
  await standin?.close();
  await database?.stop();
});
afterEach(() => expect(standin.violations()).toEqual([]));

const hook = (app: AppProcess) => `${app.url}/api/github/webhooks`;
let count = 0;

async function openPr() {
  const repo = await standin.createRepo({ owner: "acme", name: `pair-${++count}`, files: { [`${MIGRATIONS}/20240101000000_init.sql`]: INIT, ".github/index-audit.yml": "tables:\n  call_logs:\n    rows: 1000000\n" } });
  await repo.commit({ branch: "feature", files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS } });
  const { number } = await repo.openPullRequest({ head: "feature" });
  return { repo, number };
}

const botSummaries = (fullName: string, number: number) => standin.issueComments(fullName, number).filter((c) => c.user === standin.botLogin && c.body.includes("index-audit:summary"));

describe("two instances sharing PostgreSQL", () => {
  it("both say where their state lives", () => {
    for (const app of instances) expect(app.output()).toContain("state: postgresql");
  });

  it("the same delivery reaching both instances is audited once", async () => {
    const { repo, number } = await openPr();
    const delivery = await buildWebhook("pull_request.opened", { standin, repo, pullNumber: number });
    const answers = await Promise.all(instances.map((app) => deliverWebhook(hook(app), delivery, { secret: SECRET })));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    await until(() => standin.checkRuns(repo.fullName)[0]?.status === "completed", "the check run");
    await until(() => botSummaries(repo.fullName, number).length > 0, "the summary comment");
    // Give a second audit, if one had started, time to show itself.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(standin.checkRuns(repo.fullName)).toHaveLength(1);
    expect(standin.checkRuns(repo.fullName)[0].conclusion).toBe("failure");
    expect(botSummaries(repo.fullName, number)).toHaveLength(1);
  });

  it("two events for one push, one per instance, make one audit; the next push on the other instance updates the same summary", async () => {
    const { repo, number } = await openPr();
    const opened = await buildWebhook("pull_request.opened", { standin, repo, pullNumber: number });
    const suite = await buildWebhook("check_suite.requested", { standin, repo, pullNumber: number });
    await Promise.all([deliverWebhook(hook(instances[0]), opened, { secret: SECRET }), deliverWebhook(hook(instances[1]), suite, { secret: SECRET })]);
    await until(() => standin.checkRuns(repo.fullName).some((r) => r.status === "completed"), "the first check run");
    await until(() => botSummaries(repo.fullName, number).length > 0, "the summary comment");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(standin.checkRuns(repo.fullName)).toHaveLength(1);

    // The author indexes the FK; the push reaches the other instance, which never saw this pull request.
    await repo.commit({ branch: "feature", files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: `${CALLS}create index call_logs_organization_id_idx on call_logs (organization_id);\n` } });
    const pushed = await buildWebhook("pull_request.synchronize", { standin, repo, pullNumber: number });
    await deliverWebhook(hook(instances[1]), pushed, { secret: SECRET });
    await until(() => standin.checkRuns(repo.fullName).length === 2 && standin.checkRuns(repo.fullName)[1].status === "completed", "the second check run");
    await until(() => botSummaries(repo.fullName, number)[0]?.body.includes("No new findings"), "the summary to be updated");
    expect(standin.checkRuns(repo.fullName)[1].conclusion).toBe("success");
    expect(botSummaries(repo.fullName, number)).toHaveLength(1);
    // The inline thread the first instance opened gets one "fixed" reply from the second.
    const comments = standin.reviewComments(repo.fullName, number);
    expect(comments.filter((c) => !c.in_reply_to_id)).toHaveLength(1);
    expect(comments.filter((c) => c.in_reply_to_id && c.body.includes("Fixed in"))).toHaveLength(1);
  });

  it("pushes delivered alternately to both instances leave one current verdict, for the newest head", async () => {
    const { repo, number } = await openPr();
    const heads: string[] = [];
    for (let i = 0; i < 4; i++) {
      await repo.commit({ branch: "feature", files: { [`${MIGRATIONS}/2024040${i}000000_note.sql`]: `-- note ${i}\nselect 1;\n` } });
        heads.push(repo.pullRequest(number).headSha);
      const pushed = await buildWebhook("pull_request.synchronize", { standin, repo, pullNumber: number });
      await deliverWebhook(hook(instances[i % 2]), pushed, { secret: SECRET });
    }
    const newest = heads[heads.length - 1];
    await until(() => standin.checkRuns(repo.fullName).some((r) => r.head_sha === newest && r.status === "completed"), "the newest head's check run");
    await until(() => standin.checkRuns(repo.fullName).every((r) => r.status === "completed"), "every check run to complete");
    const forNewest = standin.checkRuns(repo.fullName).filter((r) => r.head_sha === newest);
    expect(forNewest).toHaveLength(1);
    expect(forNewest[0].conclusion).toBe("failure");
    // Older heads were either never started or completed as superseded; none claims a verdict.
    for (const run of standin.checkRuns(repo.fullName).filter((r) => r.head_sha !== newest)) expect(["cancelled", "failure"]).toContain(run.conclusion);
    await until(() => botSummaries(repo.fullName, number).length === 1, "the summary comment");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(botSummaries(repo.fullName, number)).toHaveLength(1);
  });
});
