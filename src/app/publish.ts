// The last step of the pipeline: GitHub API calls that publish what the renderers wrote.
import type { ProbotOctokit } from "probot";
import type { FindingsDiff } from "../diff/findings.js";
import {
  ANNOTATIONS_PER_REQUEST,
  SUMMARY_MARKER,
  batches,
  findingIdsIn,
  fixedIdsIn,
  renderFixedReply,
  renderReviewBody,
  renderReviewComment,
  type Annotation,
  type CheckRunOutput,
} from "../report/github.js";
import type { ChangedFile } from "../source/github-source.js";
import { placeFinding } from "./placement.js";
import { withRetries } from "./retry.js";
import type { AppState, KnownThreads } from "./state.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

export interface PublishLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Most annotations sent for one audit; the summary lists every finding anyway. */
const MAX_ANNOTATIONS = 1_000;

/**
 * Completes a check run. Annotations go 50 per request and each update appends, so all but the
 * last batch are sent while the run is still in progress and the last one completes it.
 */
export async function completeCheckRun(
  octokit: Octokit,
  p: {
    owner: string;
    repo: string;
    checkRunId: number;
    conclusion: "success" | "failure" | "neutral" | "cancelled";
    output: CheckRunOutput;
    annotations: Annotation[];
    actions: Array<{ label: string; description: string; identifier: string }>;
  },
): Promise<void> {
  const groups = batches(p.annotations.slice(0, MAX_ANNOTATIONS), ANNOTATIONS_PER_REQUEST);
  const last = groups.pop() ?? [];
  for (const group of groups) {
    await octokit.rest.checks.update({
      owner: p.owner,
      repo: p.repo,
      check_run_id: p.checkRunId,
      output: { ...p.output, annotations: group },
    });
  }
  await octokit.rest.checks.update({
    owner: p.owner,
    repo: p.repo,
    check_run_id: p.checkRunId,
    status: "completed",
    conclusion: p.conclusion,
    completed_at: new Date().toISOString(),
    output: last.length ? { ...p.output, annotations: last } : p.output,
    actions: p.actions,
  });
}

interface PullRef {
  owner: string;
  repo: string;
  number: number;
}

/**
 * Finds the pull request's one summary comment by its marker and updates it in place (or creates
 * it the first time). Skips the call when the body has not changed since the app (any instance) wrote it.
 */
export async function upsertSummaryComment(octokit: Octokit, state: AppState, pull: PullRef, body: string): Promise<void> {
  const key = `${pull.owner}/${pull.repo}#${pull.number}`;
  const known = await state.shared.summaryComment(key);
  if (known) {
    if (known.body === body) return;
    try {
      await octokit.rest.issues.updateComment({ owner: pull.owner, repo: pull.repo, comment_id: known.id, body });
      await state.shared.saveSummaryComment(key, { id: known.id, body });
      return;
    } catch (error) {
      // Deleted by someone: look again below.
      if ((error as { status?: number }).status !== 404) throw error;
      await state.shared.forgetSummaryComment(key);
    }
  }
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: pull.owner,
    repo: pull.repo,
    issue_number: pull.number,
    per_page: 100,
  });
  const me = await state.whoAmI();
  const existing = comments.find((c) => c.body?.includes(SUMMARY_MARKER) && c.user?.login === me);
  if (existing) {
    if (existing.body !== body) {
      await octokit.rest.issues.updateComment({ owner: pull.owner, repo: pull.repo, comment_id: existing.id, body });
    }
    await state.shared.saveSummaryComment(key, { id: existing.id, body });
    return;
  }
  const created = await octokit.rest.issues.createComment({ owner: pull.owner, repo: pull.repo, issue_number: pull.number, body });
  await state.shared.saveSummaryComment(key, { id: created.data.id, body });
}


const UNKNOWN_COMMENT = 0;

async function knownThreads(octokit: Octokit, state: AppState, p: PullRef): Promise<KnownThreads> {
  const key = `${p.owner}/${p.repo}#${p.number}`;
  const known = state.threads.get(key);
  if (known) return known;
  const existing = await octokit.paginate(octokit.rest.pulls.listReviewComments, {
    owner: p.owner,
    repo: p.repo,
    pull_number: p.number,
    per_page: 100,
  });
  const loaded: KnownThreads = { threads: new Map(), fixedReplies: new Set() };
  const me = await state.whoAmI();
  for (const comment of existing) {
    // Another bot's or the author's comment with a pasted marker must not silence a finding.
    if (comment.user?.login !== me) continue;
    if (comment.in_reply_to_id === undefined || comment.in_reply_to_id === null) {
      for (const id of findingIdsIn(comment.body)) if (!loaded.threads.has(id)) loaded.threads.set(id, comment.id);
    }
    for (const id of fixedIdsIn(comment.body)) loaded.fixedReplies.add(id);
  }
  state.threads.set(key, loaded);
  return loaded;
}

/**
 * One review (event COMMENT) with inline comments for new findings on lines the diff shows, skipping
 * findings already commented (markers in earlier comments, across pushes and redeliveries), plus one
 * "fixed" reply on the thread of each commented finding that the head no longer has.
 */
export async function publishReview(
  octokit: Octokit,
  state: AppState,
  p: PullRef & {
    headSha: string;
    diff: FindingsDiff;
    changed: Map<string, ChangedFile>;
    textOf: (path: string) => Promise<string | null>;
  },
): Promise<{ inlineIds: Set<string>; overflow: number; failedReplies: number }> {
  const candidates = [];
  for (const finding of p.diff.new) {
    const file = p.changed.get(finding.location.file);
    if (!file || !file.rightLines.has(finding.location.line)) continue;
    candidates.push({ finding, file });
  }
  const inlineIds = new Set<string>();
  const known = await knownThreads(octokit, state, p);

  const comments: Array<{ path: string; line: number; side: "RIGHT"; start_line?: number; start_side?: "RIGHT"; body: string }> = [];
  const posted: string[] = [];
  let overflow = 0;
  for (const { finding, file } of candidates) {
    if (known.threads.has(finding.id)) {
      inlineIds.add(finding.id);
      continue;
    }
    if (comments.length >= state.maxReviewComments) {
      overflow++;
      continue;
    }
    const placement = placeFinding(finding, file, finding.fix ? await p.textOf(file.path) : null);
    if (!placement) continue;
    comments.push({
      path: placement.path,
      line: placement.line,
      side: "RIGHT",
      ...(placement.startLine !== undefined ? { start_line: placement.startLine, start_side: "RIGHT" as const } : {}),
      body: renderReviewComment(finding, placement, state.docsBase),
    });
    posted.push(finding.id);
    inlineIds.add(finding.id);
  }

  if (comments.length > 0) {
    // A review answered with an error may still have been created (a gateway timing out after GitHub did
    // the work). So it is never retried blind: Octokit's own retries are off for this call, and before
    // each further attempt the pull request's comments are read again and those already there are dropped.
    let pending = comments.map((comment, i) => ({ comment, id: posted[i] }));
    let attempt = 0;
    await withRetries(async () => {
      if (attempt++ > 0) {
        state.threads.delete(`${p.owner}/${p.repo}#${p.number}`);
        const now = await knownThreads(octokit, state, p);
        Object.assign(known, now);
        pending = pending.filter(({ id }) => !now.threads.has(id));
        if (pending.length === 0) return;
      }
      await octokit.rest.pulls.createReview({
        owner: p.owner,
        repo: p.repo,
        pull_number: p.number,
        commit_id: p.headSha,
        event: "COMMENT",
        body: renderReviewBody(pending.length, p.headSha),
        comments: pending.map(({ comment }) => comment),
        request: { retries: 0 },
      });
    }, state.publishRetry);
    // The review's answer carries no comment ids; 0 marks a thread whose id is read back only if a reply needs it.
    for (const id of posted) if (!known.threads.has(id)) known.threads.set(id, UNKNOWN_COMMENT);
  }

  const headIds = new Set([...p.diff.new, ...p.diff.existing].map((f) => f.id));
  let gone = [...known.threads].filter(([id]) => !headIds.has(id) && !known.fixedReplies.has(id));
  if (gone.some(([, thread]) => thread === UNKNOWN_COMMENT)) {
    state.threads.delete(`${p.owner}/${p.repo}#${p.number}`);
    const reloaded = await knownThreads(octokit, state, p);
    gone = [...reloaded.threads].filter(([id]) => !headIds.has(id) && !reloaded.fixedReplies.has(id));
    Object.assign(known, reloaded);
  }
  // Each reply on its own: one that cannot be posted does not hold back the others (or the verdict).
  let failedReplies = 0;
  for (const [id, thread] of gone) {
    try {
      await withRetries(
        () =>
          octokit.rest.pulls.createReplyForReviewComment({
            owner: p.owner,
            repo: p.repo,
            pull_number: p.number,
            comment_id: thread,
            body: renderFixedReply(id, p.headSha),
          }),
        state.publishRetry,
      );
      known.fixedReplies.add(id);
    } catch {
      failedReplies++;
    }
  }
  return { inlineIds, overflow, failedReplies };
}
