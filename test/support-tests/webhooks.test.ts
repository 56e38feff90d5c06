import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verify } from "@octokit/webhooks-methods";
import { Probot, ProbotOctokit, createNodeMiddleware, type Context } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  generateAppCredentials,
  startGitHubStandin,
  type GitHubStandin,
  type PullRequestInfo,
  type RepoHandle,
} from "../support/github-standin/index.js";
import { buildWebhook, deliverWebhook, signWebhook } from "../support/webhooks.js";

const SECRET = "webhook-secret-for-tests";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("webhook deliveries", () => {
  let gh: GitHubStandin;
  let repo: RepoHandle;
  let pr: PullRequestInfo;
  let firstHead: string;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    gh = await startGitHubStandin();
    repo = await gh.createRepo({ owner: "acme", name: "shop", files: { "db/001.sql": "create table a (id int);\n" } });
    firstHead = await repo.commit({ branch: "feature", files: { "db/002.sql": "create table b (a_id int references a(id));\n" } });
    pr = await repo.openPullRequest({ head: "feature", title: "Add b" });
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
        response.writeHead(200).end("ok");
      });
    });
    receiverUrl = await listen(receiver);
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
    await gh?.close();
  });

  it("builds pull_request.opened from GitHub's example, pointed at the stand-in's repository and commit", async () => {
    const delivery = await buildWebhook("pull_request.opened", { standin: gh, repo, pullNumber: pr.number, sender: "alice" });
    const payload = delivery.payload as Record<string, any>;
    expect(delivery.name).toBe("pull_request");
    expect(payload.action).toBe("opened");
    expect(payload.number).toBe(pr.number);
    expect(payload.repository.full_name).toBe("acme/shop");
    expect(payload.repository.url).toBe(`${gh.url}/repos/acme/shop`);
    expect(payload.installation.id).toBe(gh.installationId);
    expect(payload.sender.login).toBe("alice");
    expect(payload.pull_request.head).toMatchObject({ ref: "feature", sha: pr.headSha });
    expect(payload.pull_request.base).toMatchObject({ ref: "main", sha: pr.baseSha });
    // Fields the stand-in does not model still come from GitHub's example.
    expect(payload.pull_request).toHaveProperty("merge_commit_sha");
    expect(JSON.stringify(payload)).not.toContain("Codertocat/Hello-World");
  });

  it("signs deliveries so that GitHub's verification accepts them, and a forged one fails it", async () => {
    const delivery = await buildWebhook("pull_request.opened", { standin: gh, repo, pullNumber: pr.number });
    const answer = await deliverWebhook(receiverUrl, delivery, { secret: SECRET });
    expect(answer.status).toBe(200);
    await deliverWebhook(receiverUrl, delivery, { secret: SECRET, forgedSecret: "guessed", id: "fixed-delivery-id" });
    const [genuine, forged] = received.slice(-2);
    expect(genuine!.headers["x-github-event"]).toBe("pull_request");
    expect(genuine!.headers["x-github-delivery"]).toBe(delivery.id);
    expect(genuine!.headers["x-hub-signature-256"]).toBe(signWebhook(SECRET, genuine!.body));
    expect(await verify(SECRET, genuine!.body, String(genuine!.headers["x-hub-signature-256"]))).toBe(true);
    expect(forged!.headers["x-github-delivery"]).toBe("fixed-delivery-id");
    expect(await verify(SECRET, forged!.body, String(forged!.headers["x-hub-signature-256"]))).toBe(false);
    expect(JSON.parse(genuine!.body)).toEqual(delivery.payload);
  });

  it("builds synchronize with the push's before and after commits", async () => {
    const newHead = await repo.pushToPullRequest(pr.number, { files: { "db/003.sql": "create index on b (a_id);\n" } });
    const delivery = await buildWebhook("pull_request.synchronize", { standin: gh, repo, pullNumber: pr.number });
    const payload = delivery.payload as Record<string, any>;
    expect(payload.before).toBe(firstHead);
    expect(payload.after).toBe(newHead);
    expect(payload.pull_request.head.sha).toBe(newHead);
    pr = repo.pullRequest(pr.number);
  });

  it("builds pull_request.edited for a base change, with the old base in changes", async () => {
    const oldBase = pr.baseSha;
    const releaseSha = await repo.createBranch("release");
    await repo.changeBase(pr.number, "release");
    const delivery = await buildWebhook("pull_request.edited", {
      standin: gh,
      repo,
      pullNumber: pr.number,
      changes: { base: { ref: { from: "main" }, sha: { from: oldBase } } },
    });
    const payload = delivery.payload as Record<string, any>;
    expect(payload.action).toBe("edited");
    expect(payload.pull_request.base).toMatchObject({ ref: "release", sha: releaseSha });
    expect(payload.changes.base.ref.from).toBe("main");
    await repo.changeBase(pr.number, "main");
    pr = repo.pullRequest(pr.number);
  });

  it("builds issue_comment.created on the pull request with a comment the stand-in knows", async () => {
    const delivery = await buildWebhook("issue_comment.created", { standin: gh, repo, pullNumber: pr.number, sender: "bob", comment: { body: "/audit full" } });
    const payload = delivery.payload as Record<string, any>;
    expect(payload.issue.number).toBe(pr.number);
    expect(payload.issue.pull_request.url).toBe(`${gh.url}/repos/acme/shop/pulls/${pr.number}`);
    expect(payload.comment.body).toBe("/audit full");
    expect(payload.comment.user.login).toBe("bob");
    expect(gh.issueComments("acme/shop", pr.number).map((c) => [c.id, c.body])).toEqual([[payload.comment.id, "/audit full"]]);
  });

  it("builds check_suite and check_run events for the pull request's head", async () => {
    const suite = (await buildWebhook("check_suite.rerequested", { standin: gh, repo, pullNumber: pr.number })).payload as Record<string, any>;
    expect(suite.check_suite.head_sha).toBe(pr.headSha);
    expect(suite.check_suite.head_branch).toBe("feature");
    expect(suite.check_suite.pull_requests).toEqual([expect.objectContaining({ number: pr.number, head: expect.objectContaining({ sha: pr.headSha }) })]);
    expect(suite.check_suite.head_commit.id).toBe(pr.headSha);

    const probot = new Probot({ ...generateAppCredentials(), baseUrl: gh.url, logLevel: "fatal" });
    const octokit = (await probot.auth(gh.installationId)) as InstanceType<typeof ProbotOctokit>;
    const { data: run } = await octokit.rest.checks.create({ owner: "acme", repo: "shop", name: "index-audit", head_sha: pr.headSha, status: "completed", conclusion: "failure" });
    const action = (await buildWebhook("check_run.requested_action", { standin: gh, repo, pullNumber: pr.number, checkRunId: run.id, requestedAction: "re-audit" })).payload as Record<string, any>;
    expect(action.check_run).toMatchObject({ id: run.id, head_sha: pr.headSha, conclusion: "failure", name: "index-audit" });
    expect(action.check_run.check_suite.pull_requests[0].number).toBe(pr.number);
    expect(action.requested_action).toEqual({ identifier: "re-audit" });
    const rerequested = (await buildWebhook("check_run.rerequested", { standin: gh, repo, pullNumber: pr.number, checkRunId: run.id })).payload as Record<string, any>;
    expect(rerequested.action).toBe("rerequested");
    expect(rerequested).not.toHaveProperty("requested_action");
  });

  it("drives a real Probot app end to end: a genuine delivery is handled against the stand-in, a forged one is refused", async () => {
    const seen: string[] = [];
    const appFn = (app: Probot) => {
      app.on("pull_request.opened", async (context: Context<"pull_request.opened">) => {
        seen.push(context.id);
        await context.octokit.rest.checks.create(
          context.repo({ name: "index-audit", head_sha: context.payload.pull_request.head.sha, status: "in_progress" as const }),
        );
      });
    };
    const Octokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      throttle: { ...(options.throttle as object), enabled: false },
    }));
    const probot = new Probot({ ...generateAppCredentials(), secret: SECRET, baseUrl: gh.url, Octokit: Octokit as typeof ProbotOctokit, logLevel: "fatal" });
    const middleware = await createNodeMiddleware(appFn, { probot });
    const appServer = createServer((request, response) => {
      void middleware(request, response, () => response.writeHead(404).end());
    });
    const appUrl = `${await listen(appServer)}/api/github/webhooks`;
    try {
      const delivery = await buildWebhook("pull_request.opened", { standin: gh, repo, pullNumber: pr.number });
      const forged = await deliverWebhook(appUrl, delivery, { secret: SECRET, forgedSecret: "not-the-secret" });
      expect(forged.status).toBeGreaterThanOrEqual(400);
      expect(seen).toEqual([]);

      gh.resetRecording();
      const genuine = await deliverWebhook(appUrl, delivery, { secret: SECRET });
      expect(genuine.status).toBe(200);
      expect(seen).toEqual([delivery.id]);
      const runs = gh.checkRuns("acme/shop").filter((r) => r.status === "in_progress");
      expect(runs.map((r) => r.head_sha)).toEqual([pr.headSha]);
      expect(gh.violations()).toEqual([]);
    } finally {
      await new Promise((resolve) => appServer.close(resolve));
    }
  });
});
