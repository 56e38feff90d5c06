// Starts the app on a real HTTP server on loopback, talking to the GitHub stand-in over real HTTP.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Bottleneck from "bottleneck";
import { Probot, type ProbotOctokit, createNodeMiddleware } from "probot";
import { IndexAuditOctokit } from "../../src/app/octokit.js";
import { createIndexAuditApp, type IndexAuditApp, type IndexAuditAppOptions } from "../../src/app/index.js";
import type { AuditRunOutcome, AuditTarget } from "../../src/app/audit-run.js";
import { generateAppCredentials, startGitHubStandin, type GitHubStandin, type StandinOptions } from "../support/github-standin/index.js";
import { buildWebhook, deliverWebhook, type WebhookKind, type WebhookTarget, type WebhookDelivery } from "../support/webhooks.js";

export const SECRET = "test-webhook-secret";

export interface Harness {
  standin: GitHubStandin;
  app: IndexAuditApp;
  webhookUrl: string;
  /** Every audit outcome, in completion order. */
  outcomes: Array<{ outcome: AuditRunOutcome; target: AuditTarget }>;
  /** Builds, signs and delivers a webhook, then waits for the audits it started. */
  send(kind: WebhookKind, target: Omit<WebhookTarget, "standin">, options?: { id?: string; forgedSecret?: string }): Promise<{ status: number; delivery: WebhookDelivery }>;
  deliver(delivery: WebhookDelivery, options?: { id?: string; forgedSecret?: string }): Promise<{ status: number }>;
  close(): Promise<void>;
}

export async function startHarness(
  options: { standin?: StandinOptions; app?: IndexAuditAppOptions; /** Retry plugin's wait unit (GitHub: 1000 ms; default here 5). */ retryAfterBaseMs?: number } = {},
): Promise<Harness> {
  const { appId, privateKey } = generateAppCredentials();
  const standin = await startGitHubStandin({ appId, ...options.standin });
  const outcomes: Harness["outcomes"] = [];
  const app = createIndexAuditApp({ ...options.app, onAuditDone: (outcome, target) => outcomes.push({ outcome, target }) });

  // The app's Octokit (Probot's throttling and retry plugins, with the app's rate-limit handlers);
  // only the waits are shortened for tests.
  const TestOctokit = IndexAuditOctokit.defaults((instance: Record<string, any>) => ({
    ...instance,
    retry: { ...instance.retry, retryAfterBaseValue: options.retryAfterBaseMs ?? 5 },
    throttle: {
      ...instance.throttle,
      retryAfterBaseValue: 5,
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
    },
  }));
  const probot = new Probot({ appId, privateKey, secret: SECRET, baseUrl: standin.url, Octokit: TestOctokit as typeof ProbotOctokit, logLevel: "fatal" });
  const middleware = await createNodeMiddleware(app.app, { probot });
  const server: Server = createServer((req, res) => {
    void middleware(req, res, () => {
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const webhookUrl = `http://127.0.0.1:${port}/api/github/webhooks`;

  const deliver: Harness["deliver"] = async (delivery, opts = {}) => {
    const answer = await deliverWebhook(webhookUrl, delivery, { secret: SECRET, ...opts });
    await app.state.idle();
    return { status: answer.status };
  };

  return {
    standin,
    app,
    webhookUrl,
    outcomes,
    deliver,
    async send(kind, target, opts) {
      const delivery = await buildWebhook(kind, { standin, ...target });
      const { status } = await deliver(delivery, opts);
      return { status, delivery };
    },
    async close() {
      await app.state.idle();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await standin.close();
    },
  };
}
