// The app as an operator runs it (`npm start`: src/app/server.ts in its own process) against the
// stand-in GitHub: refusing to start without a secret, refusing oversized and forged deliveries
// without logging them, stopping cleanly on SIGTERM mid-audit, and recovering after a crash.
import { request } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateAppCredentials, startGitHubStandin, type GitHubStandin, type RepoHandle } from "../support/github-standin/index.js";
import { buildWebhook, deliverWebhook } from "../support/webhooks.js";
import { killAppProcesses, startAppProcess, until, type AppProcess } from "../support/app-process.js";

const SECRET = "process-test-secret";
const MIGRATIONS = "supabase/migrations";
const INIT = "create table organizations (id uuid primary key);\n";
const CALLS =
  "create table call_logs (id uuid primary key, organization_id uuid not null);\nalter table call_logs add constraint call_logs_org_fkey foreign key (organization_id) references organizations (id) on delete cascade;\n";

let standin: GitHubStandin;
let credentials: { appId: number; privateKey: string };
let count = 0;

beforeAll(async () => {
  credentials = generateAppCredentials();
  standin = await startGitHubStandin({ appId: credentials.appId });
});
afterAll(async () => {
  killAppProcesses();
  await standin?.close();
});
afterEach(() => expect(standin.violations()).toEqual([]));

const startApp = (extra: Record<string, string | undefined> = {}): Promise<AppProcess> =>
  startAppProcess({ appId: credentials.appId, privateKey: credentials.privateKey, secret: SECRET, githubUrl: standin.url }, extra);

async function repoWithPr(): Promise<{ repo: RepoHandle; number: number }> {
  const repo = await standin.createRepo({
    owner: "acme",
    name: `proc-${++count}`,
    files: { [`${MIGRATIONS}/20240101000000_init.sql`]: INIT, ".github/index-audit.yml": "tables:\n  call_logs:\n    rows: 1000000\n" },
  });
  await repo.commit({ branch: "feature", files: { [`${MIGRATIONS}/20240201000000_calls.sql`]: `-- ${count}\n${CALLS}` } });
  const { number } = await repo.openPullRequest({ head: "feature" });
  return { repo, number };
}

/** Keys written twice in one object of a JSON text (JSON.parse would silently keep the last). */
function duplicateKeys(json: string): string[] {
  const stack: Array<Set<string>> = [];
  const twice: string[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === "{") stack.push(new Set());
    else if (c === "}") stack.pop();
    else if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === "\\" ? 2 : 1;
      const text = json.slice(i + 1, j);
      let k = j + 1;
      while (json[k] === " ") k++;
      if (json[k] === ":" && stack.length) {
        const keys = stack[stack.length - 1];
        if (keys.has(text)) twice.push(text);
        keys.add(text);
      }
      i = j;
    }
  }
  return twice;
}

/** POSTs a body of `bytes` bytes, with or without a Content-Length, and returns the status. */
function postLarge(url: string, bytes: number, withLength: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": "oversized",
        "x-hub-signature-256": "sha256=" + "0".repeat(64),
        ...(withLength ? { "content-length": String(bytes) } : { "transfer-encoding": "chunked" }),
      },
    });
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    // The server may close the connection while the body is still being sent: that is the point. A connection that
    // closes with no answer read is a failure of its own, reported at once rather than left to the test's timeout.
    req.on("error", (error) => (error.message.includes("EPIPE") || error.message.includes("ECONNRESET") ? undefined : reject(error)));
    req.on("close", () => {
      if (!answered) reject(new Error(`the connection closed after ${sent} bytes with no answer read`));
    });
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

describe("start-up", () => {
  it("is not ready when GitHub does not accept the app's key", async () => {
    // Every app-authenticated call is refused until GitHub is told otherwise (the start-up sweep makes one too).
    standin.failNext({ route: "/app/installations", status: 401, times: 1_000, message: "A JSON web token could not be decoded" });
    const app = await startApp();
    const readiness = await fetch(`${app.url}/ready`);
    standin.resetFailures();
    expect(readiness.status).toBe(503);
    expect(await readiness.text()).toContain("not ready: A JSON web token could not be decoded");
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
  });

  it("refuses to start without WEBHOOK_SECRET, saying so", async () => {
    const failed = await startApp({ WEBHOOK_SECRET: undefined }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failed).toMatch(/app exited with 78/);
    expect(failed).toContain("WEBHOOK_SECRET is not set");
  });
});

describe("the door", () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    app?.child.kill("SIGTERM");
    await app?.exited;
  });

  it("refuses a 30 MB body with 413 before reading it, with or without a Content-Length, and logs no body", async () => {
    const before = app.output().length;
    expect(await postLarge(app.url, 30 * 1024 * 1024, true)).toBe(413);
    expect(await postLarge(app.url, 30 * 1024 * 1024, false)).toBe(413);
    // A forged delivery under the cap: 401, and the log holds a line about it, not the body.
    expect(await postLarge(app.url, 5 * 1024 * 1024, true)).toBe(401);
    await until(() => app.output().slice(before).includes("signature does not match"), "the refusal to be logged");
    const logged = app.output().slice(before);
    expect(logged.length).toBeLessThan(4_000);
    expect(logged).not.toContain("aaaaaaaa");
    expect(logged).toContain("signature does not match");
  });

  it("a signed delivery is audited as before", async () => {
    const { repo, number } = await repoWithPr();
    const delivery = await buildWebhook("pull_request.opened", { standin, repo, pullNumber: number });
    const answer = await deliverWebhook(`${app.url}/api/github/webhooks`, delivery, { secret: SECRET });
    expect(answer.status).toBe(200);
    await until(() => standin.checkRuns(repo.fullName)[0]?.status === "completed", "the check run");
    expect(standin.checkRuns(repo.fullName)[0].conclusion).toBe("failure");

    // One JSON object per line, the audit's own fields on it, no key twice.
    await until(() => app.output().includes('"audit finished"'), "the audit's log line");
    const lines = app.output().split("\n").filter((l) => l.startsWith("{"));
    for (const line of lines) expect(duplicateKeys(line), line).toEqual([]);
    const finished = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "audit finished" && l.repo === repo.fullName)!;
    expect(finished).toMatchObject({ repo: repo.fullName, pr: number, sha: repo.pullRequest(number).headSha, delivery: delivery.id, outcome: "completed", conclusion: "failure" });
    expect(typeof finished.duration_ms).toBe("number");

    const readiness = await fetch(`${app.url}/ready`);
    expect(readiness.status).toBe(200);
    expect(await readiness.text()).toBe("ready: an installation token was minted\n");

    const scrape = await fetch(`${app.url}/metrics`);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toMatch(/index_audit_audits_total\{outcome="completed",conclusion="failure"\} 1/);
    expect(text).toMatch(/index_audit_github_requests_total\{method="POST",route="\/repos\/\{owner\}\/\{repo\}\/check-runs",status="201"\} 1/);
    expect(text).toMatch(/index_audit_audit_duration_seconds_count\{outcome="completed"\} 1/);
    expect(text).toMatch(/index_audit_blob_cache_bytes \d+/);
    expect(text).toContain("index_audit_audits_running 0");
    expect(text).toContain("index_audit_queue_waiting 0");
    // Each cache reports what it holds in the unit of its bound; this audit read a tree and kept its result.
    expect(Number(/index_audit_cache_size\{cache="trees"\} (\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/index_audit_cache_size\{cache="audits"\} (\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toContain("index_audit_queue_oldest_waiting_seconds 0");
    expect(text).toMatch(/index_audit_queue_wait_seconds_count 1/);
  });
});

describe("rule pages served by the app", () => {
  it("serves each rule's page under its public URL and links comments there; other paths are 404s", async () => {
    const app = await startApp({ PUBLIC_URL: "https://audit.example.test/" });
    const page = await fetch(`${app.url}/docs/rules/fk-index`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain('class="markdown-body"');
    expect(html).toMatch(/<h1[^>]*>.*fk-index/);
    const index = await (await fetch(`${app.url}/docs/rules`)).text();
    expect(index).toContain('href="rules/query-index"');
    expect(index).toContain('href="rules/lock-timeout"');
    for (const probe of ["/docs/rules/..%2F..%2Fpackage.json", "/docs/rules/%E0%A4%A", "/docs/rules/not-a-rule", "/docs/rules/fk-index.md"]) {
      expect((await fetch(`${app.url}${probe}`)).status, probe).toBe(404);
    }

    const { repo, number } = await repoWithPr();
    await deliverWebhook(`${app.url}/api/github/webhooks`, await buildWebhook("pull_request.opened", { standin, repo, pullNumber: number }), { secret: SECRET });
    await until(() => standin.checkRuns(repo.fullName)[0]?.status === "completed", "the check run");
    expect(standin.checkRuns(repo.fullName)[0].output.summary).toContain("(https://audit.example.test/docs/rules/fk-index)");
    await until(() => standin.reviewComments(repo.fullName, number).length > 0, "the review comment");
    expect(standin.reviewComments(repo.fullName, number)[0].body).toContain("(https://audit.example.test/docs/rules/fk-index)");
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
  });

  it("refuses to start with a PUBLIC_URL that is not an http(s) URL", async () => {
    const failed = await startApp({ PUBLIC_URL: "audit.example.test" }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failed).toMatch(/app exited with 78/);
    expect(failed).toContain("PUBLIC_URL must be an absolute http(s) URL");
  });
});

describe("stopping and crashing mid-audit", () => {
  it("SIGTERM: no more deliveries, the running audit's check run completed neutral with the reason, exit 0", async () => {
    const app = await startApp({ DRAIN_TIMEOUT_MS: "300" });
    const { repo, number } = await repoWithPr();
    const held = standin.holdNext({ route: "/repos/{owner}/{repo}/pulls/{pull_number}/files" });
    const delivery = await buildWebhook("pull_request.opened", { standin, repo, pullNumber: number });
    expect((await deliverWebhook(`${app.url}/api/github/webhooks`, delivery, { secret: SECRET })).status).toBe(200);
    await held.reached;
    app.child.kill("SIGTERM");
    await until(() => /stopping/.test(app.output()), "the stop to begin");
    const late = await deliverWebhook(`${app.url}/api/github/webhooks`, delivery, { secret: SECRET, id: "late" }).catch(() => ({ status: 0 }));
    expect([0, 503]).toContain(late.status);
    expect(await app.exited).toBe(0);
    const [run] = standin.checkRuns(repo.fullName);
    expect(run).toMatchObject({ status: "completed", conclusion: "neutral" });
    expect(run.output.summary).toContain("The app was stopped");
    held.release();
  });

  it("SIGTERM with audits still queued: their queued check runs are completed neutral, saying they never ran", async () => {
    const app = await startApp({ DRAIN_TIMEOUT_MS: "300", AUDIT_CONCURRENCY: "1" });
    const first = await repoWithPr();
    const second = await repoWithPr();
    const held = standin.holdNext({ route: "/repos/{owner}/{repo}/pulls/{pull_number}/files" });
    await deliverWebhook(`${app.url}/api/github/webhooks`, await buildWebhook("pull_request.opened", { standin, repo: first.repo, pullNumber: first.number }), { secret: SECRET });
    await held.reached;
    await deliverWebhook(`${app.url}/api/github/webhooks`, await buildWebhook("pull_request.opened", { standin, repo: second.repo, pullNumber: second.number }), { secret: SECRET });
    await until(() => standin.checkRuns(second.repo.fullName)[0]?.status === "queued", "the second check run, queued");
    // The check run is created before the job enters the queue: wait for the queue itself to hold it.
    await until(async () => (await (await fetch(`${app.url}/metrics`)).text()).includes("index_audit_queue_waiting 1"), "the second audit, waiting in the queue");
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    held.release();
    expect(standin.checkRuns(first.repo.fullName)[0]).toMatchObject({ status: "completed", conclusion: "neutral" });
    const [waiting] = standin.checkRuns(second.repo.fullName);
    expect(waiting).toMatchObject({ status: "completed", conclusion: "neutral" });
    expect(waiting.output.summary).toContain("before this audit started");
  });

  it("a crash leaves a check run in progress; the next start completes it neutral and audits again", async () => {
    const first = await startApp();
    const { repo, number } = await repoWithPr();
    const held = standin.holdNext({ route: "/repos/{owner}/{repo}/pulls/{pull_number}/files" });
    const delivery = await buildWebhook("pull_request.opened", { standin, repo, pullNumber: number });
    await deliverWebhook(`${first.url}/api/github/webhooks`, delivery, { secret: SECRET });
    await held.reached;
    first.child.kill("SIGKILL");
    await first.exited;
    held.release();
    expect(standin.checkRuns(repo.fullName).map((r) => r.status)).toEqual(["in_progress"]);

    const second = await startApp({ STALE_AFTER_MS: "0" });
    await until(() => standin.checkRuns(repo.fullName).length === 2 && standin.checkRuns(repo.fullName)[1].status === "completed", "the re-audit");
    const [stale, fresh] = standin.checkRuns(repo.fullName);
    expect(stale).toMatchObject({ status: "completed", conclusion: "neutral" });
    expect(stale.output.title).toBe("The audit did not finish");
    expect(fresh).toMatchObject({ status: "completed", conclusion: "failure" });
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });
});
