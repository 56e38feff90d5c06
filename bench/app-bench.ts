// The GitHub App on a generated repository (1,000 migrations, 2,000 code files) against the GitHub
// stand-in: API calls per route and time for a pull request's first audit, then for a second push
// that touches one file. Run alone with `node --import tsx bench/app-bench.ts`.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startHarness } from "../test/app/harness.js";
import { migrationFiles, writeCodeFiles, writeMigrations, writeOrmSchemas, type MigrationLayout } from "./generate.js";
import { writeWebApp, type WebAppClient } from "./webapp.js";

export interface AppBenchStep {
  /** API calls by "METHOD /route" template. */
  calls: Record<string, number>;
  totalCalls: number;
  /** Wall time from webhook delivery to the last publish call, stand-in included. */
  wallMs: number;
  /** Our own processing: pipeline, diff and rendering, without waiting on the API. */
  processingMs: number;
  /** The part of processingMs spent in the audit pipeline itself. */
  pipelineMs: number;
  /** Waiting on trees and blobs. */
  fetchMs: number;
  conclusion: string;
  newFindings: number;
}

export interface AppBenchResult {
  migrations: number;
  codeFiles: number;
  firstAudit: AppBenchStep;
  secondPush: AppBenchStep;
}

/** The pull request's migration, in the repository's layout (Drizzle's journal gains its entry). */
function newMigration(layout: MigrationLayout, files: Record<string, string>): Record<string, string> {
  const sql = [
    "CREATE TABLE bench_orders (\n  id bigint PRIMARY KEY,\n  customer_id bigint NOT NULL\n);",
    "ALTER TABLE bench_orders ADD CONSTRAINT bench_orders_customer_fkey FOREIGN KEY (customer_id) REFERENCES bench_orders (id) ON DELETE CASCADE;",
  ];
  const dir = migrationFiles(layout).dir;
  if (layout === "supabase") return { [`${dir}/99990101000000_bench_orders.sql`]: sql.join("\n\n") + "\n" };
  if (layout === "prisma") return { [`${dir}/99990101000000_bench_orders/migration.sql`]: sql.join("\n\n") + "\n" };
  const journalPath = `${dir}/meta/_journal.json`;
  const journal = JSON.parse(files[journalPath]) as { entries: Array<{ idx: number; version: string; when: number; tag: string; breakpoints: boolean }> };
  const idx = journal.entries.length;
  const tag = `${String(idx).padStart(4, "0")}_bench_orders`;
  journal.entries.push({ idx, version: "7", when: Date.UTC(2099, 0, 1), tag, breakpoints: true });
  return { [`${dir}/${tag}.sql`]: sql.join("\n--> statement-breakpoint\n") + "\n", [journalPath]: JSON.stringify(journal, null, 2) };
}

function readTree(root: string, rel = "", out: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(path.join(root, rel))) {
    const relPath = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(root, relPath)).isDirectory()) readTree(root, relPath, out);
    else out[relPath] = readFileSync(path.join(root, relPath), "utf8");
  }
  return out;
}

export async function runAppBench(
  options: {
    migrations?: number;
    codeFiles?: number;
    /** Blobs in GraphQL batches (default) or one REST call each. */
    batchBlobs?: boolean;
    /** Where the migrations live (default Supabase's folder). */
    layout?: MigrationLayout;
    /** A web application querying through this ORM (2% of its files), instead of files that all query. */
    client?: WebAppClient;
  } = {},
): Promise<AppBenchResult> {
  const layout = options.layout ?? "supabase";
  const migrations = options.migrations ?? 1_000;
  const codeFiles = options.codeFiles ?? 2_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), "index-audit-app-bench-"));
  const h = await startHarness({ app: { batchBlobs: options.batchBlobs } });
  try {
    const tables = writeMigrations(dir, migrations, 42, layout);
    if (options.client) {
      if (options.client !== "supabase-js") writeOrmSchemas(dir, tables, options.client);
      writeWebApp(dir, codeFiles, tables, options.client);
    } else {
      writeOrmSchemas(dir, tables);
      writeCodeFiles(dir, codeFiles, tables);
    }
    const files = readTree(dir);
    files[".github/index-audit.yml"] = "fail-on: important\n";
    const repo = await h.standin.createRepo({ owner: "bench", name: "big-app", files });

    const anyCodeFile = Object.keys(files).find((f) => /\.(ts|tsx|js)$/.test(f))!;
    await repo.commit({
      branch: "feature",
      files: newMigration(layout, files),
    });
    const pr = await repo.openPullRequest({ head: "feature" });

    const step = async (kind: "pull_request.opened" | "pull_request.synchronize"): Promise<AppBenchStep> => {
      h.standin.resetRecording();
      const before = h.outcomes.length;
      const started = performance.now();
      await h.send(kind, { repo, pullNumber: pr.number });
      const wallMs = performance.now() - started;
      const { outcome } = h.outcomes[before];
      const calls = h.standin.routeCounts();
      return {
        calls,
        totalCalls: Object.values(calls).reduce((a, b) => a + b, 0),
        wallMs: Math.round(wallMs),
        processingMs: outcome.kind === "completed" ? Math.round(outcome.timings.processingMs) : 0,
        pipelineMs: outcome.kind === "completed" ? Math.round(outcome.timings.pipelineMs) : 0,
        fetchMs: outcome.kind === "completed" ? Math.round(outcome.timings.fetchMs) : 0,
        conclusion: outcome.kind === "completed" ? outcome.conclusion : outcome.kind,
        newFindings: outcome.kind === "completed" ? outcome.diff.new.length : 0,
      };
    };

    const firstAudit = await step("pull_request.opened");
    await repo.pushToPullRequest(pr.number, { files: { [anyCodeFile]: files[anyCodeFile] + "\nexport const benchTouched = true;\n" } });
    const secondPush = await step("pull_request.synchronize");
    const violations = h.standin.violations();
    if (violations.length) throw new Error(`requests outside GitHub's API description: ${JSON.stringify(violations.slice(0, 3))}`);
    return { migrations, codeFiles, firstAudit, secondPush };
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await runAppBench({ batchBlobs: !process.argv.includes("--rest-blobs") });
  console.log(JSON.stringify(result, null, 2));
}
