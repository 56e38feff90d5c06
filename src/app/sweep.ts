// Check runs this app left `queued` or `in_progress` (the process crashed, was killed, or lost its
// connection mid-audit) are found and completed `neutral`, then audited again. Run on start-up and
// periodically. GitHub has no search for a check run by status across a repository, so the sweep
// walks installations → repositories → open pull requests → the check runs of each head commit
// (`GET /repos/{owner}/{repo}/commits/{ref}/check-runs?check_name=…&app_id=…`).
import { CHECK_NAME, REAUDIT_ACTION } from "../report/github.js";
import type { AuditTarget, Octokit } from "./audit-run.js";
import { completeCheckRun } from "./publish.js";

export interface SweepDeps {
  /** The app-authenticated client (JWT) and installation clients. */
  appOctokit: Octokit;
  installationOctokit(installationId: number): Promise<Octokit>;
  appId: number;
  /** A check run started longer ago than this, and not running in this process, is stale. */
  staleAfterMs: number;
  /** Check run ids this process is auditing now (never touched). */
  running(): Set<number>;
  /** Starts a fresh audit of the pull request. */
  rerun(octokit: Octokit, target: AuditTarget, installationId: number): void;
  log: { info(m: string): void; warn(m: string): void };
  now?: () => number;
}

export interface SweepResult {
  completed: Array<{ repo: string; checkRunId: number; pull: number }>;
}

const REAUDIT_BUTTON = [{ label: "Re-audit", description: "Run index-audit again", identifier: REAUDIT_ACTION }];

export async function sweepStaleCheckRuns(deps: SweepDeps): Promise<SweepResult> {
  const now = deps.now ?? Date.now;
  const completed: SweepResult["completed"] = [];
  const installations = await deps.appOctokit.paginate(deps.appOctokit.rest.apps.listInstallations, { per_page: 100 });
  for (const installation of installations) {
    const octokit = await deps.installationOctokit(installation.id);
    const repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
    for (const repository of repos) {
      const owner = repository.owner.login;
      const repo = repository.name;
      const pulls = await octokit.paginate(octokit.rest.pulls.list, { owner, repo, state: "open", per_page: 100 });
      for (const pull of pulls) {
        const { data } = await octokit.rest.checks.listForRef({ owner, repo, ref: pull.head.sha, check_name: CHECK_NAME, app_id: deps.appId, filter: "latest", per_page: 100 });
        for (const run of data.check_runs) {
          if (run.status === "completed" || deps.running().has(run.id)) continue;
          const started = Date.parse(run.started_at ?? "") || 0;
          if (now() - started < deps.staleAfterMs) continue;
          await completeCheckRun(octokit, {
            owner,
            repo,
            checkRunId: run.id,
            conclusion: "neutral",
            output: {
              title: "The audit did not finish",
              summary: `This audit stopped without a verdict (the app was restarted while it ran). A new audit of \`${pull.head.sha.slice(0, 7)}\` has been started.`,
            },
            annotations: [],
            actions: REAUDIT_BUTTON,
          });
          deps.log.info(`${owner}/${repo}#${pull.number}: stale check run ${run.id} completed neutral, audit started again`);
          completed.push({ repo: `${owner}/${repo}`, checkRunId: run.id, pull: pull.number });
          deps.rerun(octokit, {
            owner,
            repo,
            headSha: pull.head.sha,
            pull: { number: pull.number, baseSha: pull.base.sha },
            compareWith: null,
            reason: "stale check run",
          }, installation.id);
        }
      }
    }
  }
  return { completed };
}
