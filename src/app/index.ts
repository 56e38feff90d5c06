// The Probot app: thin handlers that turn webhooks into audits. Each handler answers at once and
// leaves the audit running behind the acknowledged webhook (GitHub gives up on a reply after 10 s).
import type { ApplicationFunction, Context, Probot } from "probot";
import { audit } from "../audit.js";
import { CHECK_NAME, HELP_TEXT, REAUDIT_ACTION, renderPermissionDenied } from "../report/github.js";
import { gitApiFromOctokit, githubSource } from "../source/github-source.js";
import { initParser } from "../sql/parser.js";
import { createQueuedCheckRun, pullKey, runAudit, type AuditRunOutcome, type AuditTarget, type Octokit } from "./audit-run.js";
import type { AuditJob } from "./queue.js";
import { completeCheckRun } from "./publish.js";
import { canTrigger, parseCommand } from "./commands.js";
import { loadAppConfig } from "./config.js";
import { configReader } from "./config-source.js";
import { renderFullReport } from "./full-report.js";
import { isAuditInput } from "./relevance.js";
import { metrics } from "./metrics.js";
import { codeSpan } from "../report/escape.js";
import { AppState, type AppStateOptions } from "./state.js";

export interface IndexAuditAppOptions extends AppStateOptions {
  /** Called after each audit with what it did (tests and the benchmark read it). */
  onAuditDone?: (outcome: AuditRunOutcome, target: AuditTarget) => void;
}

export interface IndexAuditApp {
  app: ApplicationFunction;
  state: AppState;
  /** Queues an audit outside a webhook (the stale check-run sweep re-runs interrupted audits this way). */
  audit(octokit: Octokit, target: AuditTarget, installationId?: number | null): void;
  /** Completes a queued audit that will not run (the app stops) as `neutral` with the reason, and gives back its claim. */
  neutralize(job: AuditJob, reason: string): Promise<void>;
}

export { configReader } from "./config-source.js";

const ZERO_SHA = /^0+$/;

/** The part of pino's Logger the app uses: fields first, then the message. */
interface StructuredLog {
  child(bindings: Record<string, unknown>): StructuredLog;
  info(fields: Record<string, unknown> | string, message?: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

const silentLog: StructuredLog = { child: () => silentLog, info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

function textLog(log: StructuredLog) {
  return { info: (m: string) => log.info(m), warn: (m: string) => log.warn(m), error: (m: string) => log.error(m), debug: (m: string) => log.debug(m) };
}

/** Marks the one reply telling a person they lack write access on this pull request. */
const deniedMarker = (login: string) => `<!-- index-audit:denied:${login.toLowerCase().replace(/[^a-z0-9-]/g, "")} -->`;

export function createIndexAuditApp(options: IndexAuditAppOptions = {}): IndexAuditApp {
  const state = new AppState(options);
  // Compile the parser's WebAssembly while the server starts, not inside the first audit.
  void initParser();

  // Probot's pino logger once the app is loaded; each audit logs through a child carrying its fields.
  let baseLog: StructuredLog = silentLog;
  let logger = textLog(baseLog);

  /** Installation clients for jobs that come back from the queue as data (set once Probot loads the app). */
  let authAs: (installationId: number) => Promise<Octokit> = () => Promise.reject(new Error("the app is not loaded yet"));

  const neutralize = async (job: AuditJob, reason: string): Promise<void> => {
    if (job.onceKey) await state.shared.releaseAudit(job.onceKey).catch(() => {});
    if (job.checkRunId === null) return;
    try {
      const octokit = job.octokit ?? (job.installationId !== null ? await authAs(job.installationId) : null);
      if (!octokit) return;
      await completeCheckRun(octokit, {
        owner: job.target.owner,
        repo: job.target.repo,
        checkRunId: job.checkRunId,
        conclusion: "neutral",
        output: { title: "The audit did not run", summary: `${reason}\n\nNo verdict was drawn. **Re-audit** (or \`/audit\`) runs it.` },
        annotations: [],
        actions: [{ label: "Re-audit", description: "Run index-audit again", identifier: REAUDIT_ACTION }],
      });
    } catch (error) {
      logger.warn(`${pullKey(job.target)}: queued check run not completed: ${(error as Error).message}`);
    }
  };

  /**
   * Queues an audit behind the webhook: automatic triggers run once per pull request and commits. The
   * pull request's generation is taken now, so a newer push makes this one stale even while it waits,
   * and its check run is created `queued` at once, so the pull request shows it is coming.
   */
  const launch = async (octokit: Octokit, target: AuditTarget, automatic: boolean, installationId: number | null): Promise<void> => {
    const log = logger;
    const onceKey = `${target.owner}/${target.repo}#${target.pull?.number ?? ""}:${target.headSha}:${target.pull?.baseSha ?? target.compareWith ?? ""}`;
    if (automatic && !(await state.shared.claimAudit(onceKey))) {
      log.debug(`${onceKey}: already audited, ${target.reason} ignored`);
      return;
    }
    const { generation } = await state.shared.beginGeneration(pullKey(target), target.headSha);
    // Creating the check run waits on GitHub (and on the write throttle): the webhook is answered first.
    const queueing = (async () => {
      const checkRunId = await createQueuedCheckRun(octokit, target).catch((error: Error) => {
        log.warn(`${pullKey(target)}: queued check run not created (${error.message}); the audit creates it when it starts`);
        return null;
      });
      const job: AuditJob = { target, installationId, checkRunId, generation, onceKey: automatic ? onceKey : null, queuedAt: Date.now(), octokit };
      await state.queue.push(job).catch(async (error: Error) => {
        // Never a check run left queued for an audit that will not run.
        log.warn(`${pullKey(target)}: audit not queued: ${error.message}`);
        await neutralize(job, `The audit could not be queued: ${error.message}.`);
      });
    })().catch((error: Error) => log.error(`${pullKey(target)}: audit not queued: ${error.message}`));
    state.runs.track(queueing);
  };

  /** Runs one queued audit (the queue calls it, at most its concurrency at a time). */
  const runJob = async (job: AuditJob): Promise<void> => {
    const { target } = job;
    const octokit = job.octokit ?? (job.installationId !== null ? await authAs(job.installationId) : null);
    if (!octokit) throw new Error(`${pullKey(target)}: a queued audit names no installation`);
    const auditLog = baseLog.child({
      repo: `${target.owner}/${target.repo}`,
      pr: target.pull?.number ?? null,
      sha: target.headSha,
      delivery: target.delivery ?? null,
    });
    metrics.queueWait.observe((Date.now() - job.queuedAt) / 1000);
    const started = performance.now();
    const work = runAudit(
      target,
      { octokit, readConfig: configReader(octokit, target.owner, target.repo, state.extendsOwners), state, log: textLog(auditLog) },
      { checkRunId: job.checkRunId, generation: job.generation },
    ).then((outcome) => {
      const conclusion = "conclusion" in outcome ? outcome.conclusion : outcome.kind === "nothing-relevant" ? "success" : null;
      const durationMs = Math.round(performance.now() - started);
      auditLog.info({ outcome: outcome.kind, conclusion, reason: target.reason, duration_ms: durationMs }, "audit finished");
      metrics.audits.inc({ outcome: outcome.kind, conclusion: conclusion ?? "none" });
      metrics.auditDuration.observe({ outcome: outcome.kind }, durationMs / 1000);
      // A failed audit may be retried by the next automatic event for the same commits.
      if (job.onceKey && (outcome.kind === "error" || outcome.kind === "unreadable" || outcome.kind === "timed-out")) {
        const onceKey = job.onceKey;
        state.shared.releaseAudit(onceKey).catch((error: Error) => logger.warn(`${onceKey}: claim not released: ${error.message}`));
      }
      options.onAuditDone?.(outcome, target);
    });
    await state.runs.track(work);
  };
  void state.queue.start(runJob);

  const app: ApplicationFunction = (probot: Probot) => {
    // No `name` here: Probot's root logger has one, and pino would write the key twice.
    const log = probot.log.child({ component: "index-audit" });
    baseLog = log as unknown as StructuredLog;
    logger = textLog(baseLog);
    let login: Promise<string> | null = null;
    authAs = async (installationId) => (await probot.auth(installationId)) as unknown as Octokit;
    state.whoAmI = () =>
      (login ??= (async () => {
        const appOctokit = await probot.auth();
        const { data } = await appOctokit.rest.apps.getAuthenticated();
        if (!data?.slug) throw new Error("GET /app did not name the app");
        return `${data.slug}[bot]`;
      })().catch((error: Error) => {
        login = null;
        throw error;
      }));
    const start = (context: Context, target: AuditTarget, automatic: boolean): Promise<void> =>
      launch(context.octokit as unknown as Octokit, { ...target, delivery: context.id }, automatic, installationOf(context));

    /** GitHub redelivers with the same delivery id: handle each one once, whichever instance gets it. */
    const firstDelivery = async (context: Context): Promise<boolean> => {
      if (await state.shared.firstDelivery(context.id)) return true;
      log.info(`delivery ${context.id} (${context.name}) already handled, ignored`);
      return false;
    };

    probot.on(
      ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened", "pull_request.ready_for_review", "pull_request.edited"],
      async (context) => {
        if (!(await firstDelivery(context))) return;
        const { payload } = context;
        if (payload.action === "edited" && !("base" in (payload.changes ?? {}))) return;
        if (payload.pull_request.state === "closed") return;
        const { owner, repo } = context.repo();
        await start(
          context,
          {
            owner,
            repo,
            headSha: payload.pull_request.head.sha,
            pull: { number: payload.pull_request.number, baseSha: payload.pull_request.base.sha, changedFiles: payload.pull_request.changed_files },
            compareWith: null,
            reason: `pull_request.${payload.action}`,
          },
          // A base change is new information even for a head already audited.
          payload.action !== "edited",
        );
      },
    );

    probot.on(["check_suite.requested", "check_suite.rerequested"], async (context) => {
      if (!(await firstDelivery(context))) return;
      const suite = context.payload.check_suite;
      const { owner, repo } = context.repo();
      const automatic = context.payload.action === "requested";
      const pulls = suite.pull_requests ?? [];
      if (pulls.length === 0) {
        const before = suite.before && !ZERO_SHA.test(suite.before) ? suite.before : null;
        await start(context, { owner, repo, headSha: suite.head_sha, pull: null, compareWith: before, reason: `check_suite.${context.payload.action}` }, automatic);
        return;
      }
      for (const pr of pulls) {
        await start(
          context,
          { owner, repo, headSha: suite.head_sha, pull: { number: pr.number, baseSha: pr.base.sha }, compareWith: null, reason: `check_suite.${context.payload.action}` },
          automatic,
        );
      }
    });

    probot.on(["check_run.rerequested", "check_run.requested_action"], async (context) => {
      if (!(await firstDelivery(context))) return;
      const run = context.payload.check_run;
      if (run.name !== CHECK_NAME) return;
      if (context.payload.action === "requested_action" && context.payload.requested_action?.identifier !== REAUDIT_ACTION) return;
      const { owner, repo } = context.repo();
      const pulls = run.pull_requests ?? [];
      if (pulls.length === 0) {
        await start(context, { owner, repo, headSha: run.head_sha, pull: null, compareWith: null, reason: `check_run.${context.payload.action}` }, false);
        return;
      }
      for (const pr of pulls) {
        await start(
          context,
          { owner, repo, headSha: run.head_sha, pull: { number: pr.number, baseSha: pr.base.sha }, compareWith: null, reason: `check_run.${context.payload.action}` },
          false,
        );
      }
    });

    probot.on("issue_comment.created", async (context) => {
      if (!(await firstDelivery(context))) return;
      const { payload } = context;
      if (context.isBot || payload.comment.user?.type === "Bot") return;
      if (!payload.issue.pull_request) return;
      const command = parseCommand(payload.comment.body);
      if (!command) return;
      const { owner, repo } = context.repo();
      const octokit = context.octokit as unknown as Octokit;
      const number = payload.issue.number;
      const login = payload.comment.user?.login ?? payload.sender.login;

      const work = (async () => {
        await octokit.rest.reactions
          .createForIssueComment({ owner, repo, comment_id: payload.comment.id, content: "eyes" })
          .catch((error: Error) => log.warn(`could not react to comment ${payload.comment.id}: ${error.message}`));
        if (command.kind === "help") {
          await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body: HELP_TEXT });
          return;
        }
        if (!(await hasWriteAccess(octokit, owner, repo, login))) {
          // One reply per person and pull request, even across restarts (the marker is in GitHub's data).
          const deniedKey = `${owner}/${repo}#${number}:${login.toLowerCase()}`;
          if (!(await state.shared.claimDeniedReply(deniedKey))) return;
          const marker = deniedMarker(login);
          const me = await state.whoAmI();
          const earlier = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 });
          if (earlier.some((c) => c.user?.login === me && c.body?.includes(marker))) return;
          await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body: `${renderPermissionDenied(login)}\n\n${marker}` });
          return;
        }
        const { data: pr } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
        if (command.kind === "audit") {
          await start(
            context,
            { owner, repo, headSha: pr.head.sha, pull: { number, baseSha: pr.base.sha, changedFiles: pr.changed_files }, compareWith: null, reason: "/audit" },
            false,
          );
          return;
        }
        const body = await fullReport(octokit, owner, repo, pr.head.sha, configReader(octokit, owner, repo, state.extendsOwners));
        await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body });
      })().catch((error: Error) => log.error(`command on ${owner}/${repo}#${number} failed: ${error.message}`));
      state.runs.track(work);
    });

    /** The whole-repository report at a commit, as a comment body. */
    async function fullReport(octokit: Octokit, owner: string, repo: string, sha: string, readConfig: () => Promise<unknown>): Promise<string> {
      const configOutcome = await loadAppConfig(readConfig, state.knownRules);
      if (!configOutcome.ok) return `index-audit could not run: ${configOutcome.message}`;
      const source = githubSource({ api: gitApiFromOctokit(octokit, owner, repo, { batchBlobs: state.batchBlobs }), commitSha: sha, blobs: state.blobs, trees: state.trees });
      await source.prefetch((path) => isAuditInput(path, configOutcome.config));
      const result = await audit(source, { config: configOutcome.config });
      // A report missing files GitHub failed to give would pass for a complete one: none is posted.
      const faults = source.readProblems().filter((p) => p.fault);
      if (faults.length > 0) {
        return `index-audit could not read ${faults.length} file${faults.length === 1 ? "" : "s"} from GitHub at \`${sha.slice(0, 7)}\` (${faults
          .slice(0, 5)
          .map((p) => `${codeSpan(p.path)}: ${p.status ?? "no answer"}`)
          .join(", ")}${faults.length > 5 ? ", …" : ""}), so no whole-repository report was made. Comment \`/audit full\` again to retry.`;
      }
      return renderFullReport(result, configOutcome.config, sha);
    }
  };

  return {
    app,
    state,
    neutralize,
    audit: (octokit, target, installationId = null) =>
      void launch(octokit, target, false, installationId).catch((error: Error) =>
        logger.error(`${target.owner}/${target.repo}: audit not started: ${error.message}`),
      ),
  };
}

/** The installation a delivery came through (every app delivery names one). */
function installationOf(context: Context): number | null {
  const installation = (context.payload as { installation?: { id?: number } }).installation;
  return typeof installation?.id === "number" ? installation.id : null;
}

/** Write, maintain or admin, as GitHub says now; the payload's author_association is not a permission. */
async function hasWriteAccess(octokit: Octokit, owner: string, repo: string, username: string): Promise<boolean> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
    return canTrigger(data.permission, data.role_name);
  } catch (error) {
    if ((error as { status?: number }).status === 404) return false;
    throw error;
  }
}

let defaultApp: IndexAuditApp | null = null;

/**
 * The app `probot run` loads (used to register the app through Probot's setup page; `npm start`
 * runs ./server.ts instead). On SIGTERM it lets running audits finish (up to 25 s) before exiting.
 */
const indexAudit: ApplicationFunction = (probot, options) => {
  defaultApp ??= createIndexAuditApp();
  process.once("SIGTERM", () => {
    if (!defaultApp) return process.exit(0);
    const deadline = new Promise((resolve) => setTimeout(resolve, 25_000).unref());
    void Promise.race([defaultApp.state.idle(), deadline]).then(() => process.exit(0));
  });
  return defaultApp.app(probot, options);
};

export default indexAudit;
