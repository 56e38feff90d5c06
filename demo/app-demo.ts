// The app's main job, without a GitHub account: the GitHub App runs in this process against the local
// stand-in GitHub the tests use (a real git repository behind a REST server checked against GitHub's
// OpenAPI description). It opens a pull request on the bundled example that adds a table whose foreign
// key has no index and a query no index serves, then prints what GitHub would show: the check run, the
// review comments with their suggestions, and the summary comment. The same goes to one HTML page.
//
//   node --import tsx demo/app-demo.ts [--html <path>]   (npm run demo runs it after the CLI report)
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { marked } from "marked";
import { startHarness } from "../test/app/harness.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.join(here, "..", "examples", "supabase-app");
const DEFAULT_HTML = path.join(here, "..", "demo-output", "pull-request.html");

/** The pull request: a transcript table for each call, and the job that picks pending transcripts. */
const PULL_REQUEST_FILES: Record<string, string> = {
  "supabase/migrations/20260110090000_call_transcripts.sql": [
    "-- Transcripts are produced by the speech worker after each call.",
    "create table public.call_transcripts (",
    "  id uuid primary key default gen_random_uuid(),",
    "  call_log_id uuid not null references public.call_logs (id) on delete cascade,",
    "  language text not null,",
    "  status text not null default 'pending',",
    "  body text,",
    "  created_at timestamptz not null default now()",
    ");",
    "",
  ].join("\n"),
  "apps/server/src/transcripts/pending.ts": [
    'import type { SupabaseClient } from "@supabase/supabase-js";',
    "",
    "/** The next transcripts the speech worker should produce, oldest first. */",
    "export async function pendingTranscripts(supabase: SupabaseClient, language: string) {",
    "  const { data, error } = await supabase",
    '    .from("call_transcripts")',
    '    .select("id, call_log_id")',
    '    .eq("status", "failed")',
    '    .eq("language", language)',
    '    .order("created_at", { ascending: true })',
    "    .limit(50);",
    "  if (error) throw error;",
    "  return data;",
    "}",
    "",
  ].join("\n"),
};

/** The sizes the team expects: the example's own, plus the new table. */
function configWithTranscripts(config: string): string {
  return config.replace(/^tables:\n/m, "tables:\n  call_transcripts:\n    rows: 10000000\n");
}

function readTree(root: string, rel = "", out: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(path.join(root, rel))) {
    const relPath = rel ? `${rel}/${name}` : name;
    if (name === "node_modules") continue;
    if (statSync(path.join(root, relPath)).isDirectory()) readTree(root, relPath, out);
    else out[relPath] = readFileSync(path.join(root, relPath), "utf8");
  }
  return out;
}

function rule(title: string): string {
  return `\n${"─".repeat(8)} ${title} ${"─".repeat(Math.max(4, 72 - title.length))}\n`;
}

/** One HTML page, in GitHub's markdown styles, with each part as GitHub would lay it out. */
function page(parts: Array<{ heading: string; markdown: string }>): string {
  const require = createRequire(import.meta.url);
  const css = readFileSync(require.resolve("github-markdown-css/github-markdown-light.css"), "utf8");
  const sections = parts
    .map((p) => `<section class="box"><div class="box-head">${p.heading}</div><div class="markdown-body">${marked.parse(p.markdown, { async: false })}</div></section>`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>index-audit on a pull request</title>
<style>${css}
body { background: #f6f8fa; margin: 0; padding: 24px; font-family: -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
.page { max-width: 920px; margin: 0 auto; }
h1.title { font-size: 22px; font-weight: 600; margin: 0 0 16px; }
.box { background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; margin-bottom: 16px; }
.box-head { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px; font-size: 14px; border-radius: 6px 6px 0 0; }
.box .markdown-body { padding: 16px; font-size: 14px; }
</style></head>
<body><div class="page"><h1 class="title">Add call transcripts</h1>
${sections}
</div></body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

async function main(): Promise<void> {
  const htmlFlag = process.argv.indexOf("--html");
  const htmlPath = path.resolve(htmlFlag >= 0 && process.argv[htmlFlag + 1] ? process.argv[htmlFlag + 1] : DEFAULT_HTML);
  const h = await startHarness();
  try {
    const files = readTree(EXAMPLE);
    files[".github/index-audit.yml"] = configWithTranscripts(files[".github/index-audit.yml"]);
    const repo = await h.standin.createRepo({ owner: "acme", name: "call-center", files });
    await repo.commit({ branch: "transcripts", files: PULL_REQUEST_FILES, message: "Add call transcripts" });
    const pr = await repo.openPullRequest({ head: "transcripts", title: "Add call transcripts" });
    await h.send("pull_request.opened", { repo, pullNumber: pr.number });

    const [run] = h.standin.checkRuns(repo.fullName);
    const comments = h.standin.reviewComments(repo.fullName, pr.number);
    const summary = h.standin.issueComments(repo.fullName, pr.number).find((c) => c.user === h.standin.botLogin);
    const out: string[] = [];
    out.push(rule(`pull request #${pr.number} "Add call transcripts" on ${repo.fullName} (a local stand-in for GitHub)`));
    out.push(rule(`check run "${run.name}": ${run.conclusion}`));
    out.push(`${run.output.title}\n\n${run.output.summary}`);
    for (const c of comments) {
      out.push(rule(`review comment on ${c.path}:${c.line}`));
      out.push(c.body);
    }
    out.push(rule("summary comment"));
    out.push(summary?.body ?? "(none)");
    process.stdout.write(out.join("\n") + "\n");

    const mark = run.conclusion === "success" ? "✅" : run.conclusion === "failure" ? "❌" : "➖";
    const parts = [
      { heading: `${mark} <strong>${escapeHtml(run.name)}</strong> — ${escapeHtml(run.output.title ?? "")}`, markdown: run.output.summary ?? "" },
      ...comments.map((c) => ({ heading: `💬 <strong>${escapeHtml(h.standin.botLogin)}</strong> on <code>${escapeHtml(c.path)}</code> line ${c.line}`, markdown: c.body })),
      ...(summary ? [{ heading: `💬 <strong>${escapeHtml(h.standin.botLogin)}</strong> commented`, markdown: summary.body }] : []),
    ];
    mkdirSync(path.dirname(htmlPath), { recursive: true });
    writeFileSync(htmlPath, page(parts));
    process.stdout.write(`\nThe same, as GitHub would show it: ${htmlPath}\n`);
    if (h.standin.violations().length > 0) throw new Error(`requests GitHub's API description does not allow: ${JSON.stringify(h.standin.violations())}`);
  } finally {
    await h.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`app demo failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
