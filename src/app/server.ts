// The app's own server (`npm start`): Probot's webhook handling behind a door that checks what
// comes in before anything reads or logs it, the stale check-run sweep, and an orderly stop.
//
// - A body over GitHub's 25 MB payload cap is refused with 413 from its Content-Length, before it is
//   read, or as soon as a body sent without one passes the cap.
// - The signature (X-Hub-Signature-256, HMAC-SHA256 of the body) is checked here, so a forged
//   delivery is refused with 401 and neither parsed nor logged; bodies are never logged.
// - SIGTERM: deliveries are refused (503) from then on, running audits get DRAIN_TIMEOUT_MS to
//   finish, those still running are completed `neutral` with the reason, then the process exits.
import { createHmac, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { pino } from "pino";
import { Probot, createNodeMiddleware, type ProbotOctokit } from "probot";
import { metrics } from "./metrics.js";
import type { Octokit } from "./audit-run.js";
import { createIndexAuditApp, type IndexAuditApp, type IndexAuditAppOptions } from "./index.js";
import { IndexAuditOctokit } from "./octokit.js";
import { sweepStaleCheckRuns } from "./sweep.js";
import { connectPostgresState } from "./postgres-state.js";
import { startPgQueue } from "./pg-queue.js";
import { rulePage } from "./rule-pages.js";
import { DEFAULT_QUEUE_LIMITS, type QueueLimits } from "./queue.js";

/** GitHub caps webhook payloads at 25 MB ("Webhook events and payloads"). */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;
export const WEBHOOK_PATH = "/api/github/webhooks";

export interface ServerSettings {
  appId: number;
  privateKey: string;
  secret: string;
  /** REST API base URL; unset for github.com, `https://<host>/api/v3` for GitHub Enterprise Server. */
  baseUrl?: string;
  host: string;
  port: number;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  /** `json`: one JSON object per line (production); `pretty` on a terminal. */
  logFormat: "json" | "pretty";
  /** Longest one audit may run (ms). */
  auditTimeoutMs: number;
  /** How long SIGTERM waits for running audits before completing their check runs neutral (ms). */
  drainTimeoutMs: number;
  /** Between two sweeps for stale check runs (ms); 0 sweeps only at start-up. */
  sweepIntervalMs: number;
  /** A check run of this app `queued`/`in_progress` for longer than this is stale (ms). */
  staleAfterMs: number;
  /** Owners besides a repository's own whose configuration `_extends` may name. */
  extendsOwners: string[];
  /**
   * PostgreSQL connection string for the state instances share and restarts keep (`DATABASE_URL`);
   * unset: in memory, for a single instance.
   */
  databaseUrl?: string;
  /** Audits running at once in this process, and per installation (in-memory queue only). */
  queueLimits: QueueLimits;
  /** The app's public base URL (`PUBLIC_URL`): rule links in comments point at its `/docs/rules/<rule>`. */
  publicUrl?: string;
  /** Cache bounds (bytes): `BLOB_CACHE_MB`, `TREE_CACHE_MB`, `AUDIT_CACHE_MB`. */
  cacheBytes: { blobs: number; trees: number; audits: number };
}

export class SettingsError extends Error {}

/**
 * What a logged error keeps: its type, message and stack. Webhook errors carry the delivery
 * (`event.payload`, up to 25 MB) among their own properties; pino's default would write it out.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const inner = error instanceof AggregateError ? error.errors.map((e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e))) : undefined;
  return { type: error.name, message: error.message, stack: error.stack, ...(inner ? { errors: inner } : {}), ...("status" in error ? { status: (error as { status: unknown }).status } : {}) };
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

function duration(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new SettingsError(`${name} must be a number of milliseconds, got "${raw}"`);
  return value;
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new SettingsError(`${name} must be a whole number of at least 1, got "${raw}"`);
  return value;
}

function bytes(env: NodeJS.ProcessEnv, name: string, fallbackMiB: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallbackMiB * 1024 * 1024;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 1) throw new SettingsError(`${name} must be a number of MiB, got "${raw}"`);
  return Math.round(value * 1024 * 1024);
}

function publicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingsError(`PUBLIC_URL must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new SettingsError(`PUBLIC_URL must be an absolute http(s) URL, got "${raw}"`);
  return url.toString().replace(/\/+$/, "");
}

/** Settings from the environment; a missing or unusable one is a SettingsError naming the variable. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): ServerSettings {
  const secret = env.WEBHOOK_SECRET ?? "";
  // Probot would fall back to the public default "development": anyone could then sign deliveries.
  if (secret.trim() === "") throw new SettingsError("WEBHOOK_SECRET is not set: the app refuses to start without the webhook secret set when registering the app");
  const appId = Number(env.APP_ID);
  if (!Number.isInteger(appId) || appId <= 0) throw new SettingsError("APP_ID is not set (the number on the GitHub App's settings page)");
  let privateKey = env.PRIVATE_KEY?.replace(/\\n/g, "\n");
  if (!privateKey && env.PRIVATE_KEY_PATH) {
    if (!existsSync(env.PRIVATE_KEY_PATH)) throw new SettingsError(`PRIVATE_KEY_PATH: no file at ${env.PRIVATE_KEY_PATH}`);
    privateKey = readFileSync(env.PRIVATE_KEY_PATH, "utf8");
  }
  if (!privateKey || !privateKey.includes("PRIVATE KEY")) throw new SettingsError("PRIVATE_KEY (or PRIVATE_KEY_PATH) does not hold a PEM private key");
  const logLevel = (env.LOG_LEVEL ?? "info") as ServerSettings["logLevel"];
  if (!LOG_LEVELS.includes(logLevel)) throw new SettingsError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  const baseUrl = env.GITHUB_API_URL || (env.GHE_HOST ? `${env.GHE_PROTOCOL || "https"}://${env.GHE_HOST}/api/v3` : undefined);
  const auditTimeoutMs = duration(env, "AUDIT_TIMEOUT_MS", 10 * 60_000);
  return {
    appId,
    privateKey,
    secret,
    ...(baseUrl ? { baseUrl } : {}),
    host: env.HOST || "localhost",
    port: duration(env, "PORT", 3000),
    logLevel,
    logFormat: env.LOG_FORMAT === "json" ? "json" : "pretty",
    auditTimeoutMs,
    drainTimeoutMs: duration(env, "DRAIN_TIMEOUT_MS", 20_000),
    sweepIntervalMs: duration(env, "SWEEP_INTERVAL_MS", 15 * 60_000),
    staleAfterMs: duration(env, "STALE_AFTER_MS", auditTimeoutMs + 60_000),
    extendsOwners: (env.CONFIG_EXTENDS_OWNERS ?? "").split(",").map((o) => o.trim()).filter(Boolean),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    ...(env.PUBLIC_URL ? { publicUrl: publicUrl(env.PUBLIC_URL) } : {}),
    cacheBytes: { blobs: bytes(env, "BLOB_CACHE_MB", 256), trees: bytes(env, "TREE_CACHE_MB", 64), audits: bytes(env, "AUDIT_CACHE_MB", 64) },
    queueLimits: {
      concurrency: count(env, "AUDIT_CONCURRENCY", DEFAULT_QUEUE_LIMITS.concurrency),
      perInstallation: count(env, "AUDIT_CONCURRENCY_PER_INSTALLATION", DEFAULT_QUEUE_LIMITS.perInstallation),
    },
  };
}

export interface RunningServer {
  url: string;
  app: IndexAuditApp;
  probot: Probot;
  /** One sweep for stale check runs now. */
  sweep(): Promise<number>;
  /** Stops taking deliveries, lets audits finish within the drain timeout, neutralises the rest, closes. */
  stop(): Promise<void>;
}

/** True when `signature` is `sha256=` + HMAC-SHA256(secret, body), compared in constant time. */
export function signatureMatches(secret: string, body: Buffer, signature: string | undefined): boolean {
  if (!signature?.startsWith("sha256=")) return false;
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function reply(res: ServerResponse, status: number, message: string, close = false): void {
  res.writeHead(status, { "content-type": "application/json", ...(close ? { connection: "close" } : {}) });
  res.end(JSON.stringify({ error: message }));
}

/** How long a refused sender may go on sending (discarded) so that it reads the 413, before it is cut off. */
const REFUSED_LINGER_MS = 5_000;

/**
 * Answers 413 and closes the connection. Destroying the socket at once would drop the answer: the client is
 * still writing, and a reset loses the response it has not read yet. So what it still sends is read and
 * thrown away (never kept), and the socket is cut off after REFUSED_LINGER_MS at the latest.
 */
function refuseOversized(req: IncomingMessage, res: ServerResponse): void {
  reply(res, 413, "payload over GitHub's 25 MB cap", true);
  req.removeAllListeners("data");
  req.on("data", () => {});
  req.resume();
  const cut = setTimeout(() => req.destroy(), REFUSED_LINGER_MS);
  cut.unref();
  req.once("close", () => clearTimeout(cut));
}

/** Reads the body up to `limit` bytes; null once it passes the limit (the caller refuses the rest). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(null);
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

export async function startServer(settings: ServerSettings, appOptions: IndexAuditAppOptions = {}, extra: { Octokit?: typeof ProbotOctokit } = {}): Promise<RunningServer> {
  const Octokit = extra.Octokit ?? (IndexAuditOctokit as unknown as typeof ProbotOctokit);
  const probot = new Probot({
    appId: settings.appId,
    privateKey: settings.privateKey,
    secret: settings.secret,
    ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
    Octokit,
    logLevel: settings.logLevel,
    logFormat: settings.logFormat,
    // JSON: one object per line, from a root logger without a `name`, so that the `name` Probot's own
    // children add (octokit, event) is never written twice. Pretty on a terminal is Probot's.
    ...(settings.logFormat === "json" ? { log: pino({ level: settings.logLevel, timestamp: pino.stdTimeFunctions.isoTime, serializers: { err: errorFields } }) } : {}),
  });
  // With DATABASE_URL the state lives in PostgreSQL, so several instances can share one webhook URL.
  const shared = appOptions.shared ?? (settings.databaseUrl ? await connectPostgresState({ connectionString: settings.databaseUrl }) : undefined);
  // The queue too: waiting audits then survive a restart, and every instance works them.
  const queue =
    appOptions.queue ??
    (settings.databaseUrl
      ? await startPgQueue({ connectionString: settings.databaseUrl, limits: settings.queueLimits, expireInSeconds: Math.ceil(settings.auditTimeoutMs / 1000) + 60 })
      : undefined);
  const app = createIndexAuditApp({
    auditTimeoutMs: settings.auditTimeoutMs,
    extendsOwners: settings.extendsOwners,
    queueLimits: settings.queueLimits,
    blobCacheBytes: settings.cacheBytes.blobs,
    treeCacheBytes: settings.cacheBytes.trees,
    auditCacheBytes: settings.cacheBytes.audits,
    ...(settings.publicUrl ? { publicUrl: settings.publicUrl } : {}),
    ...appOptions,
    ...(shared ? { shared } : {}),
    ...(queue ? { queue } : {}),
  });
  const middleware = await createNodeMiddleware(app.app, { probot });
  // Probot sets up its logger while loading the app.
  const log = probot.log.child({ component: "server" });
  metrics.watch({
    running: () => app.state.active.size,
    cacheBytes: () => app.state.blobs.cachedBytes,
    queue: () => app.state.queue.stats(),
    caches: () => ({ blobs: app.state.blobs.cachedBytes, trees: app.state.trees.bytes, audits: app.state.audits.bytes, parses: app.state.files.chars }),
  });
  let draining = false;

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/ping") {
      res.writeHead(200, { "content-type": "text/plain" }).end("PONG");
      return;
    }
    if (req.method === "GET" && path === "/ready") {
      void ready().then(
        (detail) => res.writeHead(200, { "content-type": "text/plain" }).end(`ready: ${detail}\n`),
        (error: Error) => res.writeHead(503, { "content-type": "text/plain" }).end(`not ready: ${error.message}\n`),
      );
      return;
    }
    if (req.method === "GET" && (path === "/docs/rules" || path.startsWith("/docs/rules/"))) {
      // Rule ids are plain ASCII: the name is taken as sent, never decoded (a malformed escape cannot throw).
      const page = rulePage(path.slice("/docs/rules".length).replace(/^\//, ""), path.endsWith("/") ? "" : "rules/");
      if (page === null) return void res.writeHead(404, { "content-type": "text/plain" }).end("no such rule\n");
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
      return;
    }
    if (req.method === "GET" && path === "/metrics") {
      void metrics.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    if (path !== WEBHOOK_PATH || req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    if (draining) return reply(res, 503, "shutting down; deliver again later", true);
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > MAX_WEBHOOK_BYTES) {
      log.warn(`delivery ${String(req.headers["x-github-delivery"] ?? "?").slice(0, 64)} refused: ${declared} bytes is over the 25 MB cap`);
      refuseOversized(req, res);
      return;
    }
    void (async () => {
      const body = await readBody(req, MAX_WEBHOOK_BYTES);
      if (body === null) {
        log.warn(`delivery refused: body over the 25 MB cap`);
        refuseOversized(req, res);
        return;
      }
      if (!signatureMatches(settings.secret, body, req.headers["x-hub-signature-256"] as string | undefined)) {
        log.warn(`delivery ${String(req.headers["x-github-delivery"] ?? "?").slice(0, 64)} refused: signature does not match`);
        return reply(res, 401, "signature does not match");
      }
      // Probot reads the body already read here (never from the stream twice).
      (req as IncomingMessage & { body?: string }).body = body.toString("utf8");
      await middleware(req, res, () => res.writeHead(404).end());
    })().catch((error: Error) => {
      log.error(`webhook handling failed: ${error.message}`);
      if (!res.headersSent) reply(res, 500, "internal error");
    });
  });
  await new Promise<void>((resolve) => server.listen(settings.port, settings.host, resolve));
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
  log.info(`state: ${app.state.shared.kind}`);
  log.info(`listening on ${url}${WEBHOOK_PATH}`);

  const appOctokit = (await probot.auth()) as unknown as Octokit;
  /** Ready when the app's key signs a JWT GitHub accepts and mints an installation token with it. */
  const ready = async (): Promise<string> => {
    if (draining) throw new Error("shutting down");
    await app.state.shared.check().catch((error: Error) => {
      throw new Error(`the ${app.state.shared.kind} state store does not answer: ${error.message}`);
    });
    const { data } = await appOctokit.rest.apps.listInstallations({ per_page: 1 });
    if (data.length === 0) return "the key works; the app is installed nowhere yet";
    await appOctokit.rest.apps.createInstallationAccessToken({ installation_id: data[0].id });
    return "an installation token was minted";
  };
  const sweep = async (): Promise<number> => {
    const result = await sweepStaleCheckRuns({
      appOctokit,
      installationOctokit: async (id) => (await probot.auth(id)) as unknown as Octokit,
      appId: settings.appId,
      staleAfterMs: settings.staleAfterMs,
      running: () => new Set([...app.state.active].flatMap((a) => (a.checkRunId === null ? [] : [a.checkRunId]))),
      rerun: app.audit,
      log,
    });
    return result.completed.length;
  };
  const sweepSafely = () => sweep().catch((error: Error) => log.warn(`stale check-run sweep failed: ${error.message}`));
  void sweepSafely();
  const timer = settings.sweepIntervalMs > 0 ? setInterval(() => void sweepSafely(), settings.sweepIntervalMs) : null;
  timer?.unref();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      draining = true;
      if (timer) clearInterval(timer);
      // Audits still waiting here will not run: their queued check runs are completed neutral below.
      // (A PostgreSQL queue keeps them for the other instances or the next start.)
      const unstarted = await app.state.queue.stop();
      log.info(`stopping: ${app.state.active.size} audit(s) running, ${unstarted.length} waiting, waiting up to ${settings.drainTimeoutMs} ms`);
      let drainTimer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([app.state.runs.idle(), new Promise((resolve) => (drainTimer = setTimeout(resolve, settings.drainTimeoutMs)))]);
      clearTimeout(drainTimer);
      const left = [...app.state.active];
      await Promise.all(left.map((a) => a.abandon("The app was stopped (a deploy or a restart) before this audit finished.")));
      if (left.length) log.info(`stopping: ${left.length} unfinished audit(s) completed neutral`);
      await Promise.all(unstarted.map((job) => app.neutralize(job, "The app was stopped (a deploy or a restart) before this audit started.")));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await app.state.shared.close().catch(() => {});
    })());

  return { url, app, probot, sweep, stop };
}

async function main(): Promise<void> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  let settings: ServerSettings;
  try {
    settings = settingsFromEnv(process.env);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`index-audit: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const running = await startServer(settings);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void running.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) void main();
