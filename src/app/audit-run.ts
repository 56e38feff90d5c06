// One audit of one commit (usually a pull request's head against its merge base), from the
// check run created `in_progress` to everything published. Each step is a call into the pure
// core or one of the publishers; nothing here decides what a finding is.
import type { AuditTarget, Octokit } from "./target.js";
import { audit } from "../audit.js";
import type { AuditConfig } from "../core/config.js";
import type { Finding } from "../core/types.js";
import { conclusionFor, diffFindings, type Conclusion, type FindingsDiff } from "../diff/findings.js";
import {
  CHECK_NAME,
  REAUDIT_ACTION,
  configErrorText,
  renderConfigErrorComment,
  renderInternalError,
  renderCheckRunOutput,
  renderNothingRelevant,
  renderSummaryComment,
  renderSuperseded,
  toAnnotations,
  type CheckRunOutput,
  type PullRequestReport,
} from "../report/github.js";
import { decodeText } from "../source/source.js";
import {
  gitApiFromOctokit,
  githubSource,
  listPullRequestFiles,
  type ChangedFile,
  type GitHubSource,
  type PullRequestFiles,
  type ReadProblem,
} from "../source/github-source.js";
import { configKey, loadAppConfig } from "./config.js";
import { completeCheckRun, publishReview, upsertSummaryComment, type PublishLog } from "./publish.js";
import { CONFIG_PATH, isAuditInput, mayChangeFindings } from "./relevance.js";
import { renderUnreadable } from "./fault-output.js";
import { withRetries } from "./retry.js";
import { holdLease } from "./shared-state.js";
import type { AppState, CommitAudit } from "./state.js";

export type { AuditTarget, Octokit } from "./target.js";

export interface AuditDeps {
  octokit: Octokit;
  /** `context.config("index-audit.yml")`. */
  readConfig: () => Promise<unknown>;
  state: AppState;
  log: PublishLog;
}

export type AuditRunOutcome =
  | { kind: "completed"; conclusion: Conclusion; diff: FindingsDiff; checkRunId: number; timings: Timings; notes: string[] }
  | { kind: "nothing-relevant"; checkRunId: number; timings: Timings }
  | { kind: "config-error"; checkRunId: number; message: string }
  | { kind: "superseded"; checkRunId: number | null }
  /** GitHub failed to give some files: the check run is neutral with the reason, nothing else is published or cached. */
  | { kind: "unreadable"; checkRunId: number; problems: ReadProblem[] }
  | { kind: "error"; checkRunId: number | null; message: string }
  /** Ran past the audit timeout, or the app stopped: the check run was completed neutral with the reason. */
  | { kind: "timed-out"; checkRunId: number | null; message: string };

export interface Timings {
  /** Wall time from the start of the run to the last publish call. */
  totalMs: number;
  /** Our own processing (pipeline, diff, rendering), without waiting on GitHub. */
  processingMs: number;
  /** The part of processingMs spent in the audit pipeline (0 when both commits' audits were cached). */
  pipelineMs: number;
  /** Waiting for the tree and blobs. */
  fetchMs: number;
}

export function pullKey(target: Pick<AuditTarget, "owner" | "repo" | "pull" | "headSha">): string {
  return target.pull ? `${target.owner}/${target.repo}#${target.pull.number}` : `${target.owner}/${target.repo}@${target.headSha}`;
}

/** What the queue knew of an audit: its check run created `queued`, and the generation it was queued at. */
export interface QueuedAs {
  checkRunId: number | null;
  generation: number | null;
}

const externalId = (target: AuditTarget) => (target.pull ? `pull:${target.pull.number}` : `commit:${target.headSha}`);

/** Creates the audit's check run `queued`, so the pull request shows at once that an audit is coming. */
export async function createQueuedCheckRun(octokit: Octokit, target: AuditTarget): Promise<number> {
  const { data } = await octokit.rest.checks.create({
    owner: target.owner,
    repo: target.repo,
    name: CHECK_NAME,
    head_sha: target.headSha,
    status: "queued",
    external_id: externalId(target),
    output: { title: "Queued", summary: `Waiting to audit \`${target.headSha.slice(0, 7)}\`.` },
  });
  return data.id;
}

const REAUDIT_BUTTON = [{ label: "Re-audit", description: "Run index-audit again", identifier: REAUDIT_ACTION }];

/**
 * Runs one audit within the state's audit timeout. An audit still running at the deadline (or when
 * the app stops) is abandoned: its check run is completed `neutral` with the reason, and whatever
 * the abandoned work does afterwards publishes nothing.
 */
export async function runAudit(target: AuditTarget, deps: AuditDeps, queued: QueuedAs = { checkRunId: null, generation: null }): Promise<AuditRunOutcome> {
  const { octokit, state, log } = deps;
  const active: ActiveAudit = {
    key: pullKey(target),
    owner: target.owner,
    repo: target.repo,
    headSha: target.headSha,
    checkRunId: queued.checkRunId,
    abandoned: null,
    abandon: async (reason: string) => {
      if (active.abandoned) return;
      active.abandoned = reason;
      // Without a check run yet, the audit completes the one it creates as soon as it has it.
      if (active.checkRunId !== null) await active.completeAbandoned();
    },
    completeAbandoned: async () => {
      const id = active.checkRunId!;
      const reason = active.abandoned ?? "";
      await withRetries(
        () =>
          completeCheckRun(octokit, {
            owner: target.owner,
            repo: target.repo,
            checkRunId: id,
            conclusion: "neutral",
            output: { title: "The audit did not finish", summary: `${reason}\n\nNo verdict was drawn. **Re-audit** (or \`/audit\`) runs it again.` },
            annotations: [],
            actions: REAUDIT_BUTTON,
          }),
        state.publishRetry,
      ).catch((error: Error) => log.error(`${active.key}: could not complete the abandoned check run: ${error.message}`));
    },
  };
  state.active.add(active);
  const work = runAuditOnce(target, deps, active, queued.generation);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), state.auditTimeoutMs);
  });
  try {
    const first = await Promise.race([work, deadline]);
    if (first !== "timeout") return first;
    const reason = `The audit of \`${target.headSha.slice(0, 7)}\` took longer than the audit timeout (${state.auditTimeoutMs >= 1000 ? `${Math.round(state.auditTimeoutMs / 1000)} s` : `${state.auditTimeoutMs} ms`}).`;
    log.warn(`${active.key}: ${reason}`);
    await active.abandon(reason);
    // The work goes on in the background until its next step sees it was abandoned.
    state.runs.track(work).catch(() => {});
    return { kind: "timed-out", checkRunId: active.checkRunId, message: reason };
  } finally {
    clearTimeout(timer);
    state.active.delete(active);
  }
}

/** An audit in progress, as shutdown and the timeout see it. */
export interface ActiveAudit {
  key: string;
  owner: string;
  repo: string;
  headSha: string;
  checkRunId: number | null;
  /** Why it was abandoned, once it was: from then on it publishes nothing. */
  abandoned: string | null;
  /** Marks it abandoned and completes its check run `neutral` with the reason. */
  abandon(reason: string): Promise<void>;
  /** Completes the check run `neutral` with the reason it was abandoned. */
  completeAbandoned(): Promise<void>;
}

/**
 * Marks this audit the pull request's newest (older ones, on any instance, then publish nothing),
 * waits for the pull request's lease so that one instance at a time audits and comments on it, and
 * runs the audit holding it.
 */
async function runAuditOnce(target: AuditTarget, deps: AuditDeps, active: ActiveAudit, queuedGeneration: number | null): Promise<AuditRunOutcome> {
  const { octokit, state, log } = deps;
  const key = pullKey(target);
  const generation = queuedGeneration ?? (await state.shared.beginGeneration(key, target.headSha)).generation;
  const isCurrent = async () => active.abandoned === null && (await state.shared.currentGeneration(key))?.generation === generation;
  const lease = (await isCurrent()) ? await holdLease(state.shared, key, isCurrent, state.leaseTiming) : null;
  if (!lease) {
    if (active.abandoned !== null) return { kind: "timed-out", checkRunId: active.checkRunId, message: active.abandoned };
    // Stale before it started: a queued check run is closed as superseded, never left waiting.
    if (active.checkRunId !== null) {
      const id = active.checkRunId;
      const newer = (await state.shared.currentGeneration(key))?.headSha ?? null;
      await withRetries(
        () => completeCheckRun(octokit, { owner: target.owner, repo: target.repo, checkRunId: id, conclusion: "cancelled", output: renderSuperseded(newer), annotations: [], actions: REAUDIT_BUTTON }),
        state.publishRetry,
      ).catch((error: Error) => log.warn(`${key}: superseded check run not completed: ${error.message}`));
    }
    log.info(`${key}: audit of ${target.headSha.slice(0, 7)} superseded before it started`);
    return { kind: "superseded", checkRunId: active.checkRunId };
  }
  // Another instance may have commented since this process last read the pull request's threads.
  if (state.shared.kind !== "memory") state.threads.delete(key);
  try {
    return await auditHoldingLease(target, deps, active, isCurrent);
  } finally {
    await lease.release().catch((error: Error) => log.warn(`${key}: lease not released (it expires by itself): ${error.message}`));
  }
}

async function auditHoldingLease(target: AuditTarget, deps: AuditDeps, active: ActiveAudit, isCurrent: () => Promise<boolean>): Promise<AuditRunOutcome> {
  const { octokit, state, log } = deps;
  const { owner, repo, headSha } = target;
  const key = pullKey(target);
  const started = performance.now();
  let checkRunId: number | null = active.checkRunId;

  const finish = (conclusion: "success" | "failure" | "neutral" | "cancelled", output: CheckRunOutput) =>
    withRetries(
      () => completeCheckRun(octokit, { owner, repo, checkRunId: checkRunId!, conclusion, output, annotations: [], actions: REAUDIT_BUTTON }),
      state.publishRetry,
    );
  /** A publishing step after the verdict: retried on its own, and its failure is only logged. */
  const publishStep = async (what: string, step: () => Promise<unknown>): Promise<boolean> => {
    try {
      await withRetries(step, state.publishRetry);
      return true;
    } catch (error) {
      log.warn(`${key}: ${what} not published: ${(error as Error).message}`);
      return false;
    }
  };

  const superseded = async (): Promise<AuditRunOutcome> => {
    if (active.abandoned !== null) return { kind: "timed-out", checkRunId, message: active.abandoned };
    if (checkRunId !== null) await finish("cancelled", renderSuperseded((await state.shared.currentGeneration(key))?.headSha ?? null));
    log.info(`${key}: audit of ${headSha.slice(0, 7)} superseded, nothing published`);
    return { kind: "superseded", checkRunId };
  };

  try {
    const running = { status: "in_progress" as const, started_at: new Date().toISOString(), output: { title: "Auditing…", summary: `Reading migrations and query code at \`${headSha.slice(0, 7)}\`.` } };
    if (checkRunId !== null) {
      const id = checkRunId;
      await octokit.rest.checks.update({ owner, repo, check_run_id: id, ...running });
    } else {
      const created = await octokit.rest.checks.create({ owner, repo, name: CHECK_NAME, head_sha: headSha, external_id: externalId(target), ...running });
      checkRunId = created.data.id;
    }
    active.checkRunId = checkRunId;
    if (active.abandoned !== null) {
      await active.completeAbandoned();
      return { kind: "timed-out", checkRunId, message: active.abandoned };
    }

    const configOutcome = await loadAppConfig(deps.readConfig, state.knownRules);
    if (!(await isCurrent())) return await superseded();
    if (!configOutcome.ok) {
      await finish("failure", { title: "Invalid .github/index-audit.yml", summary: configErrorText(configOutcome.message) });
      const body = renderConfigErrorComment(configOutcome.message);
      if (target.pull) await publishStep("summary comment", () => upsertSummaryComment(octokit, state, { owner, repo, number: target.pull!.number }, body));
      return { kind: "config-error", checkRunId, message: configOutcome.message };
    }
    const config = configOutcome.config;

    const notes: string[] = [];
    let prFiles: PullRequestFiles | null = null;
    if (target.pull) {
      prFiles = await listPullRequestFiles(octokit, { owner, repo, pull_number: target.pull.number }, target.pull.changedFiles);
      if (prFiles.truncated) {
        notes.push(
          `This pull request changes ${target.pull.changedFiles !== undefined ? target.pull.changedFiles.toLocaleString("en-US") : "more"} files; GitHub lists only the first ${prFiles.files.length.toLocaleString("en-US")}. Inline comments cover only those; every finding is still in this summary.`,
        );
      }
      const relevant = prFiles.files.some((f) => mayChangeFindings(f.path, config) || (f.previousPath !== undefined && mayChangeFindings(f.previousPath, config)));
      if (!relevant && !prFiles.truncated) {
        if (!(await isCurrent())) return await superseded();
        await finish("success", renderNothingRelevant(headSha));
        // Earlier pushes may have left a summary with findings since reverted: bring it up to date.
        if ((await state.shared.summaryComment(key)) !== undefined) {
          const empty: PullRequestReport = { diff: { new: [], existing: [], fixed: [] }, conclusion: "success", config, headSha, baseSha: null, notes: [], docsBase: state.docsBase };
          const body = renderSummaryComment(empty);
          await publishStep("summary comment", () => upsertSummaryComment(octokit, state, { owner, repo, number: target!.pull!.number }, body));
        }
        return { kind: "nothing-relevant", checkRunId, timings: { totalMs: performance.now() - started, processingMs: 0, pipelineMs: 0, fetchMs: 0 } };
      }
      if (prFiles.files.some((f) => f.path === CONFIG_PATH)) {
        notes.push(`This pull request edits \`${CONFIG_PATH}\`. The app reads it from the default branch, so the change applies after merge; this audit used the current one.`);
      }
      const withoutPatch = prFiles.files.filter((f) => !f.hasPatch && f.status !== "removed" && isAuditInput(f.path, config));
      if (withoutPatch.length) {
        notes.push(
          `GitHub shows no diff for ${withoutPatch.length} changed file${withoutPatch.length === 1 ? "" : "s"} (binary or too large: ${withoutPatch
            .slice(0, 5)
            .map((f) => `\`${f.path}\``)
            .join(", ")}${withoutPatch.length > 5 ? ", …" : ""}), so findings there are listed here instead of inline.`,
        );
      }
    }

    const baseSha = target.pull ? await mergeBase(octokit, owner, repo, target.pull.baseSha, headSha) : target.compareWith;
    if (!(await isCurrent())) return await superseded();

    const api = gitApiFromOctokit(octokit, owner, repo, { batchBlobs: state.batchBlobs });
    const sourceOf = (sha: string) => githubSource({ api, commitSha: sha, blobs: state.blobs, trees: state.trees });
    // In a tree too large for one listing, the pull request's own files are read by their blob SHAs.
    const knownFiles = (prFiles?.files ?? []).flatMap((f) => (f.blobSha ? [{ path: f.path, sha: f.blobSha }] : []));
    const headSource = githubSource({ api, commitSha: headSha, blobs: state.blobs, trees: state.trees, knownFiles });
    const baseSource = baseSha ? sourceOf(baseSha) : null;

    // Fetch everything both audits read first (in parallel, shared by SHA), then audit on cached bytes,
    // so waiting on GitHub and our own processing are measured apart.
    const timing = { fetchMs: 0, processingMs: 0, pipelineMs: 0 };
    const fetchStart = performance.now();
    await Promise.all([
      prefetchFor(headSource, headSha, config, state),
      baseSource && baseSha ? prefetchFor(baseSource, baseSha, config, state) : null,
    ]);
    timing.fetchMs = performance.now() - fetchStart;
    // With `verify: true` both commits get the static audit first; only the head is then verified (one
    // PGlite per audit), and the base's static findings are what the head's are compared with.
    const staticConfig: AuditConfig = config.verify ? { ...config, verify: false } : config;
    const headAudit = await auditCommit(headSource, headSha, staticConfig, deps, timing);
    const baseAudit = baseSource && baseSha ? await auditCommit(baseSource, baseSha, staticConfig, deps, timing) : null;
    // A file GitHub failed to give would make its findings look fixed (or never there): no verdict then.
    const faults = [...headAudit.readProblems, ...(baseAudit?.readProblems ?? [])].filter((p) => p.fault);
    if (faults.length > 0) {
      if (!(await isCurrent())) return await superseded();
      await finish("neutral", renderUnreadable(faults, headSha));
      log.warn(`${key}: ${faults.length} file(s) could not be read at ${headSha.slice(0, 7)}; check run left neutral, nothing else published`);
      return { kind: "unreadable", checkRunId, problems: faults };
    }
    let partial = false;
    for (const [label, result, sha] of [
      ["head", headAudit, headSha],
      ["base", baseAudit, baseSha],
    ] as const) {
      if (result?.treeTruncated) {
        partial = true;
        const direct = label === "head" && result.supplemented.length > 0 ? ` The ${result.supplemented.length} changed file${result.supplemented.length === 1 ? "" : "s"} missing from the listing ${result.supplemented.length === 1 ? "was" : "were"} read directly.` : "";
        notes.push(
          `GitHub truncated the file tree of the ${label} (\`${(sha ?? "").slice(0, 7)}\`): files past its listing limit were not audited, so some findings may be missing.${direct}`,
        );
      }
    }
    const changedPaths = new Set((prFiles?.files ?? []).map((f) => f.path));
    const skippedChanged = headAudit.readProblems.filter((p) => !p.fault && (changedPaths.size === 0 || changedPaths.has(p.path)));
    if (skippedChanged.length > 0) {
      partial = true;
      notes.push(`${skippedChanged.length} changed file${skippedChanged.length === 1 ? " was" : "s were"} not audited (${skippedChanged[0].message}).`);
    }

    const decide = (headFindings: Finding[]): { diff: FindingsDiff; conclusion: Conclusion } => {
      const processStart = performance.now();
      const diff = diffFindings(baseAudit ? baseAudit.findings : null, headFindings);
      const verdict = conclusionFor(diff, config.failOn, config.conclusionBelowFailOn);
      timing.processingMs += performance.now() - processStart;
      // What was not seen may hold a finding: a pass is then only neutral.
      return { diff, conclusion: partial && verdict === "success" ? "neutral" : verdict };
    };
    let { diff, conclusion } = decide(headAudit.findings);
    if (!(await isCurrent())) return await superseded();

    if (config.verify && diff.new.length + diff.existing.length > 0) {
      // The static result is shown at once while the planner works; the check run stays in progress,
      // so no verdict is drawn until the evidence is in (it may demote a recommendation).
      const staticOutput = renderCheckRunOutput({ diff, conclusion, config, headSha, baseSha, notes, inlineIds: new Set(), docsBase: state.docsBase });
      await publishStep("static result", () =>
        octokit.rest.checks.update({
          owner,
          repo,
          check_run_id: checkRunId!,
          status: "in_progress",
          output: { title: `Verifying with PostgreSQL's planner… ${staticOutput.title}`, summary: staticOutput.summary },
        }),
      );
      try {
        const verified = await auditCommit(headSource, headSha, config, deps, timing);
        ({ diff, conclusion } = decide(verified.findings));
      } catch (error) {
        // A verify stage that cannot run leaves the static result standing, and says so.
        log.warn(`${key}: planner verification failed: ${(error as Error).message}`);
        notes.push(`Planner verification could not run (${(error as Error).message}); the findings below are the static audit's, without evidence.`);
      }
      if (!(await isCurrent())) return await superseded();
    }

    const report: PullRequestReport = { diff, conclusion, config, headSha, baseSha, notes, inlineIds: new Set(), docsBase: state.docsBase };
    if (target.pull && prFiles) {
      const changed = new Map<string, ChangedFile>(prFiles.files.map((f) => [f.path, f]));
      const textOf = async (path: string): Promise<string | null> => {
        try {
          const decoded = decodeText(await headSource.read(path));
          return decoded.ok ? decoded.text : null;
        } catch {
          return null;
        }
      };
      try {
        const published = await publishReview(octokit, state, {
          owner,
          repo,
          number: target.pull.number,
          headSha,
          diff,
          changed,
          textOf,
        });
        report.inlineIds = published.inlineIds;
        if (published.overflow > 0) {
          notes.push(`${published.overflow} more new finding${published.overflow === 1 ? "" : "s"} on changed lines did not fit in one review (at most ${state.maxReviewComments}); they are listed below.`);
        }
      } catch (error) {
        log.warn(`${key}: review comments not posted: ${(error as Error).message}`);
        notes.push("Inline review comments could not be posted this time; every new finding is listed below.");
      }
    }

    const renderStart = performance.now();
    const output = renderCheckRunOutput(report);
    const annotations = toAnnotations(diff.new);
    const summaryBody = target.pull ? renderSummaryComment(report) : null;
    timing.processingMs += performance.now() - renderStart;

    if (!(await isCurrent())) return await superseded();
    const runId = checkRunId;
    await withRetries(() => completeCheckRun(octokit, { owner, repo, checkRunId: runId, conclusion, output, annotations, actions: REAUDIT_BUTTON }), state.publishRetry);
    // From here on the verdict stands: a comment that cannot be posted is logged, never a failed check.
    if (target.pull && summaryBody) {
      const number = target.pull.number;
      if (!(await publishStep("summary comment", () => upsertSummaryComment(octokit, state, { owner, repo, number }, summaryBody)))) {
        notes.push("The summary comment could not be posted this time.");
      }
    }

    const timings: Timings = { totalMs: performance.now() - started, processingMs: timing.processingMs, pipelineMs: timing.pipelineMs, fetchMs: timing.fetchMs };
    log.info(
      `${key}: ${conclusion} at ${headSha.slice(0, 7)}: ${diff.new.length} new, ${diff.fixed.length} fixed, ${diff.existing.length} existing (${Math.round(timings.processingMs)} ms processing)`,
    );
    return { kind: "completed", conclusion, diff, checkRunId, timings, notes };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (active.abandoned !== null) return { kind: "timed-out", checkRunId, message: active.abandoned };
    log.error(`${key}: audit of ${headSha.slice(0, 7)} failed: ${message}`);
    await failCheckRun(octokit, { owner, repo, headSha, checkRunId, message }).catch((publishError: Error) =>
      log.error(`${key}: could not report the failure on the check run: ${publishError.message}`),
    );
    return { kind: "error", checkRunId, message };
  }
}

/** Ends the check run with conclusion failure and the error, creating it when even that had failed. */
async function failCheckRun(
  octokit: Octokit,
  p: { owner: string; repo: string; headSha: string; checkRunId: number | null; message: string },
): Promise<void> {
  const output = renderInternalError(p.message);
  if (p.checkRunId === null) {
    await octokit.rest.checks.create({
      owner: p.owner,
      repo: p.repo,
      name: CHECK_NAME,
      head_sha: p.headSha,
      status: "completed",
      conclusion: "failure",
      completed_at: new Date().toISOString(),
      output,
      actions: REAUDIT_BUTTON,
    });
    return;
  }
  await completeCheckRun(octokit, { owner: p.owner, repo: p.repo, checkRunId: p.checkRunId, conclusion: "failure", output, annotations: [], actions: REAUDIT_BUTTON });
}

/** Where the pull request's branch left its base: findings there are not the pull request's doing. */
async function mergeBase(octokit: Octokit, owner: string, repo: string, baseSha: string, headSha: string): Promise<string> {
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${baseSha}...${headSha}`, per_page: 1 });
  return data.merge_base_commit?.sha ?? baseSha;
}

/** Fetches what an audit of this commit will read, unless that audit is already cached. */
async function prefetchFor(source: GitHubSource, sha: string, config: AuditConfig, state: AppState): Promise<void> {
  if (state.audits.has(auditKey(sha, config))) return;
  await source.prefetch((path) => isAuditInput(path, config));
}

const auditKey = (sha: string, config: AuditConfig) => `${sha}#${configKey(config)}`;


/** Audits one commit, once per commit and settings in this process (base and head of later pushes reuse it). */
async function auditCommit(
  source: GitHubSource,
  sha: string,
  config: AuditConfig,
  deps: AuditDeps,
  timing: { fetchMs: number; processingMs: number; pipelineMs: number },
): Promise<CommitAudit> {
  const cacheKey = auditKey(sha, config);
  const cached = deps.state.audits.get(cacheKey);
  if (cached) return cached;
  const work = (async () => {
    const tree = await source.tree();
    const auditStart = performance.now();
    const result = await audit(source, { config, memo: deps.state.files });
    timing.processingMs += performance.now() - auditStart;
    timing.pipelineMs += performance.now() - auditStart;
    return { findings: result.findings, treeTruncated: tree.truncated, readProblems: source.readProblems(), supplemented: source.supplemented() };
  })();
  deps.state.audits.set(cacheKey, work);
  // Neither a failed audit nor one that missed files is kept: the next attempt reads GitHub again.
  work.then(
    (done) => {
      if (done.readProblems.some((p) => p.fault) && deps.state.audits.get(cacheKey) === work) deps.state.audits.delete(cacheKey);
    },
    () => deps.state.audits.delete(cacheKey),
  );
  return work;
}
