// Webhook deliveries built from GitHub's own example payloads, pointed at the stand-in's repositories,
// signed like GitHub signs them and delivered over real HTTP.
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { git, readCommit } from "./github-standin/git.js";
import type { GitHubStandin, RepoHandle } from "./github-standin/index.js";

export type WebhookKind =
  | "pull_request.opened"
  | "pull_request.synchronize"
  | "pull_request.reopened"
  | "pull_request.ready_for_review"
  | "pull_request.edited"
  | "pull_request.closed"
  | "issue_comment.created"
  | "check_suite.requested"
  | "check_suite.rerequested"
  | "check_run.rerequested"
  | "check_run.requested_action";

export interface WebhookTarget {
  standin: GitHubStandin;
  repo: RepoHandle;
  /** The pull request the event is about (required for pull_request and issue_comment events). */
  pullNumber?: number;
  /** Login of the person who caused the event; defaults to the repository owner. */
  sender?: string;
  /** issue_comment: an existing comment (by id), or a new one the sender writes now (by body). */
  comment?: { id: number } | { body: string };
  /** check_run events: the check run clicked or re-requested. */
  checkRunId?: number;
  /** check_run.requested_action: the action's identifier. */
  requestedAction?: string;
  /** check_suite events: the commit, when not the pull request's head. */
  headSha?: string;
  /** pull_request.synchronize: the head before the push; defaults to the head commit's first parent. */
  before?: string;
  /** pull_request.edited: what changed, e.g. `{ base: { ref: { from: "main" }, sha: { from: "…" } } }`. */
  changes?: Record<string, unknown>;
}

export interface WebhookDelivery {
  name: string;
  id: string;
  payload: Record<string, unknown>;
  /** The app id GitHub sends as `X-GitHub-Hook-Installation-Target-ID`. */
  appId?: number;
}

interface ExampleGroup {
  name: string;
  examples: Record<string, unknown>[];
}

let examples: ExampleGroup[] | null = null;

function exampleFor(event: string, action: string): Record<string, unknown> {
  if (!examples) {
    const require = createRequire(import.meta.url);
    examples = require("@octokit/webhooks-examples/api.github.com/index.json") as ExampleGroup[];
  }
  const group = examples.find((g) => g.name === event);
  const candidates = group?.examples.filter((e) => e.action === action) ?? [];
  // Prefer an example delivered to an app installation, as ours are.
  const example = candidates.find((e) => e.installation) ?? candidates[0];
  if (!example) throw new Error(`@octokit/webhooks-examples has no ${event}.${action} example`);
  return structuredClone(example);
}

export async function buildWebhook(kind: WebhookKind, target: WebhookTarget): Promise<WebhookDelivery> {
  const [event, action] = kind.split(".") as [string, string];
  // pull_request.edited has no example of its own; GitHub's edited payload is opened's with `changes`.
  const payload = exampleFor(event, action === "edited" ? "opened" : action);
  payload.action = action;
  const { standin, repo } = target;
  const senderLogin = target.sender ?? repo.owner;
  delete payload.organization;
  delete payload.enterprise;
  payload.repository = repo.apiObject;
  payload.sender = standin.userObject(senderLogin);
  payload.installation = {
    id: standin.installationId,
    node_id: Buffer.from(`Installation:${standin.installationId}`).toString("base64"),
  };

  switch (event) {
    case "pull_request": {
      const number = requirePull(target);
      const pull = await repo.pullRequestObject(number);
      payload.number = number;
      payload.pull_request = { ...(payload.pull_request as object), ...pull };
      if (action === "synchronize") {
        const head = repo.pullRequest(number).headSha;
        payload.before = target.before ?? (await firstParent(repo, head));
        payload.after = head;
      }
      if (action === "edited") payload.changes = target.changes ?? {};
      if (action === "closed") (payload.pull_request as Record<string, unknown>).state = "closed";
      break;
    }
    case "issue_comment": {
      const number = requirePull(target);
      const pull = await repo.pullRequestObject(number);
      const commentId =
        target.comment && "id" in target.comment
          ? target.comment.id
          : standin.addIssueComment(repo.fullName, number, { body: target.comment?.body ?? "/audit", user: senderLogin }).id;
      const issue = payload.issue as Record<string, unknown>;
      Object.assign(issue, {
        url: pull.issue_url,
        repository_url: `${standin.url}/repos/${repo.fullName}`,
        comments_url: pull.comments_url,
        html_url: pull.html_url,
        id: pull.id,
        number,
        title: pull.title,
        user: pull.user,
        state: pull.state,
        body: pull.body,
        draft: pull.draft,
        pull_request: {
          url: pull.url,
          html_url: pull.html_url,
          diff_url: pull.diff_url,
          patch_url: pull.patch_url,
          merged_at: null,
        },
      });
      payload.comment = standin.issueCommentObject(repo.fullName, commentId);
      break;
    }
    case "check_suite": {
      const headSha = target.headSha ?? repo.pullRequest(requirePull(target)).headSha;
      const suite = payload.check_suite as Record<string, unknown>;
      Object.assign(suite, await suiteFields(target, headSha));
      const commit = await readCommit(repo.dir, headSha);
      suite.head_commit = {
        id: commit.sha,
        tree_id: commit.tree,
        message: commit.message,
        timestamp: commit.committerDate,
        author: { name: commit.authorName, email: commit.authorEmail },
        committer: { name: commit.committerName, email: commit.committerEmail },
      };
      break;
    }
    case "check_run": {
      if (target.checkRunId === undefined) throw new Error(`${kind} needs checkRunId`);
      const run = standin.checkRunObject(repo.fullName, target.checkRunId);
      const suite = { ...((payload.check_run as Record<string, unknown>).check_suite as object), ...(await suiteFields(target, String(run.head_sha))) };
      payload.check_run = { ...run, check_suite: suite };
      if (action === "requested_action") {
        payload.requested_action = { identifier: target.requestedAction ?? "re-audit" };
      } else {
        delete payload.requested_action;
      }
      break;
    }
  }
  return { name: event, id: randomUUID(), payload, appId: standin.appId };
}

/** Check-suite fields every check_suite / check_run payload carries, pointed at our repository. */
async function suiteFields(target: WebhookTarget, headSha: string): Promise<Record<string, unknown>> {
  const { standin, repo } = target;
  const pulls = target.pullNumber !== undefined ? [repo.pullRequest(target.pullNumber)] : [];
  const api = `${standin.url}/repos/${repo.fullName}`;
  const repoRef = { id: repo.id, url: api, name: repo.name };
  return {
    head_sha: headSha,
    head_branch: pulls[0]?.headRef ?? repo.defaultBranch,
    before: await firstParent(repo, headSha),
    after: headSha,
    url: `${api}/check-suites/1`,
    app: standin.appObject(),
    pull_requests: pulls.map((p) => ({
      url: `${api}/pulls/${p.number}`,
      id: repo.id * 1000 + p.number,
      number: p.number,
      head: { ref: p.headRef, sha: p.headSha, repo: repoRef },
      base: { ref: p.baseRef, sha: p.baseSha, repo: repoRef },
    })),
  };
}

async function firstParent(repo: RepoHandle, sha: string): Promise<string> {
  try {
    return (await git(repo.dir, ["rev-parse", "--verify", "--quiet", `${sha}^`])).trim() || "0".repeat(40);
  } catch {
    return "0".repeat(40);
  }
}

function requirePull(target: WebhookTarget): number {
  if (target.pullNumber === undefined) throw new Error("this webhook needs pullNumber");
  return target.pullNumber;
}

export function signWebhook(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface DeliveryOptions {
  secret: string;
  /** Signs with this secret instead, as a forger would. */
  forgedSecret?: string;
  /** Delivery id to send (GitHub keeps it on redelivery); defaults to the delivery's own. */
  id?: string;
}

/** POSTs the delivery like GitHub's hookshot does; returns the receiver's answer. */
export async function deliverWebhook(
  url: string,
  delivery: WebhookDelivery,
  options: DeliveryOptions,
): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(delivery.payload);
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/standin",
      "x-github-event": delivery.name,
      "x-github-delivery": options.id ?? delivery.id,
      "x-github-hook-id": "1",
      "x-github-hook-installation-target-type": "integration",
      "x-github-hook-installation-target-id": String(delivery.appId ?? ""),
      "x-hub-signature-256": signWebhook(options.forgedSecret ?? options.secret, body),
    },
    body,
  });
  return { status: response.status, body: await response.text() };
}
