// Pure renderers for what the GitHub App publishes: check-run output, annotations,
// inline review comments, the pull request's summary comment. No I/O here.
import type { AuditConfig } from "../core/config.js";
import type { Finding, Severity } from "../core/types.js";
import { atOrAbove, type Conclusion, type FindingsDiff } from "../diff/findings.js";
import { docsUrl } from "../rules/rule.js";
import { alsoConcerns, declaredFixLines, evidenceBlock, formatLocation, shortLine } from "./common.js";
import { codeSpan, safeMarkdown } from "./escape.js";

/** GitHub's cap on check-run `summary` and `text`. */
export const CHECK_OUTPUT_LIMIT = 65_535;
/** GitHub's cap on an issue or review comment body. */
export const COMMENT_LIMIT = 65_536;
/** GitHub accepts at most this many annotations per check-run request. */
export const ANNOTATIONS_PER_REQUEST = 50;
export const CHECK_NAME = "index-audit";
/** The check-run action button's identifier (GitHub allows 20 characters). */
export const REAUDIT_ACTION = "re-audit";

// ---------------------------------------------------------------- markers

export const SUMMARY_MARKER = "<!-- index-audit:summary -->";
export const findingMarker = (id: string): string => `<!-- index-audit:finding:${id} -->`;
export const fixedMarker = (id: string): string => `<!-- index-audit:fixed:${id} -->`;

/** Finding ids named by finding markers in a comment body. */
export function findingIdsIn(body: string | null | undefined): string[] {
  return [...(body ?? "").matchAll(/<!-- index-audit:finding:([^\s>]+) -->/g)].map((m) => m[1]);
}

/** Finding ids named by fixed-reply markers in a comment body. */
export function fixedIdsIn(body: string | null | undefined): string[] {
  return [...(body ?? "").matchAll(/<!-- index-audit:fixed:([^\s>]+) -->/g)].map((m) => m[1]);
}

// ---------------------------------------------------------------- words

const BADGE: Record<Severity, string> = { important: "🟡 IMPORTANT", routine: "🟢 ROUTINE", noted: "📝 NOTED" };

function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

function place(f: Finding): string {
  return codeSpan(`${f.location.file}:${f.location.line}`);
}

function countBySeverity(findings: Finding[]): string {
  const counts = { important: 0, routine: 0, noted: 0 };
  for (const f of findings) counts[f.severity]++;
  return `${counts.important} important, ${counts.routine} routine, ${counts.noted} noted`;
}

function sqlBlock(sql: string): string {
  return fence(sql.trim(), "sql");
}

/** A fenced block that survives backticks inside the content. */
function fence(content: string, info = ""): string {
  let ticks = "```";
  while (content.includes(ticks)) ticks += "`";
  return `${ticks}${info}\n${content}\n${ticks}`;
}

/**
 * The reasoning a reviewer opens when the short line and the SQL are not enough: the full message, the
 * rule's details and the other places the finding concerns, collapsed.
 */
function reasoning(f: Finding, summaryText = "Why, and where it is used", docsBase?: string): string {
  // Names in messages come from the repository: escaped, so they cannot mention, link or inject markup.
  const parts = [safeMarkdown(f.message.trim())];
  if (f.details) parts.push(safeMarkdown(f.details.trim()));
  const also = alsoConcerns(f);
  if (also.length > 0) parts.push(`Call sites and related places: ${[formatLocation(f.location), ...also].map(codeSpan).join(", ")}`);
  parts.push(`[About this rule](${docsUrl(f.rule, docsBase)})`);
  return `<details>\n<summary>${summaryText}</summary>\n\n${parts.join("\n\n")}\n\n</details>`;
}

/** Short line, then the SQL, then the reasoning collapsed: the order of every place a finding is shown. */
function findingBlock(f: Finding, options: { inline?: boolean; docsBase?: string } = {}): string {
  const lines = [`#### ${BADGE[f.severity]} \`${f.rule}\` on ${codeSpan(f.table)}${f.columns.length ? ` (${safeMarkdown(f.columns.join(", "))})` : ""}`];
  lines.push(`${place(f)}${options.inline ? " · commented inline" : ""}`);
  lines.push("", safeMarkdown(shortLine(f)));
  if (f.fix) lines.push("", ...declaredFixLines(f.fix), sqlBlock(f.fix.sql));
  const evidence = evidenceBlock(f);
  if (evidence) lines.push("", evidence);
  lines.push("", reasoning(f, undefined, options.docsBase));
  return lines.join("\n");
}

function findingLine(f: Finding): string {
  return `- ${BADGE[f.severity]} \`${f.rule}\` ${place(f)}: ${safeMarkdown(firstLine(shortLine(f)))}`;
}

function firstLine(text: string): string {
  const line = text.split("\n")[0];
  return line.length > 300 ? line.slice(0, 297) + "..." : line;
}

// ---------------------------------------------------------------- the report for one pull request

export interface PullRequestReport {
  diff: FindingsDiff;
  conclusion: Conclusion;
  config: AuditConfig;
  headSha: string;
  /** The commit the head was compared with; null when there was none. */
  baseSha: string | null;
  /** Things the reader must know about how complete the audit is (limits hit, config edited in the PR). */
  notes: string[];
  /** Ids of new findings that got an inline review comment. */
  inlineIds?: ReadonlySet<string>;
  /** Where rule links point: the app's own `/docs/rules` under its public URL, when configured. */
  docsBase?: string;
}

function headline(r: PullRequestReport): string {
  const n = r.diff.new.length;
  if (r.conclusion === "failure") {
    const blocking = r.diff.new.filter((f) => atOrAbove(f.severity, r.config.failOn)).length;
    return `${blocking} new finding${blocking === 1 ? "" : "s"} at or above ${r.config.failOn}`;
  }
  if (n > 0) return `${n} new finding${n === 1 ? "" : "s"} below ${r.config.failOn}`;
  if (r.diff.fixed.length > 0) return `No new findings, ${r.diff.fixed.length} fixed`;
  return "No new findings";
}

/** Markdown blocks of the report in reading order; the first is kept whole, later ones may be cut. */
function reportBlocks(r: PullRequestReport, options: { commits: boolean }): Array<{ text: string; findingsIn?: number }> {
  const blocks: Array<{ text: string; findingsIn?: number }> = [];
  const tldr = [
    "## TL;DR",
    "",
    `- **New:** ${r.diff.new.length} (${countBySeverity(r.diff.new)})`,
    `- **Fixed:** ${r.diff.fixed.length}`,
    `- **Existing debt:** ${r.diff.existing.length} (${countBySeverity(r.diff.existing)})`,
    options.commits
      ? `- Head \`${shortSha(r.headSha)}\`${r.baseSha ? ` compared with \`${shortSha(r.baseSha)}\`` : ""}; fails on: ${r.config.failOn}`
      : `- Fails on: ${r.config.failOn}`,
  ];
  if (r.notes.length) tldr.push("", ...r.notes.map((n) => `> ⚠️ ${n}`));
  blocks.push({ text: tldr.join("\n") });

  if (r.diff.new.length) {
    blocks.push({ text: "## New findings" });
    for (const f of r.diff.new) blocks.push({ text: findingBlock(f, { inline: r.inlineIds?.has(f.id), docsBase: r.docsBase }), findingsIn: 1 });
  }
  if (r.diff.fixed.length) {
    blocks.push({ text: "## Fixed by this change ✅" });
    for (const f of r.diff.fixed) blocks.push({ text: findingLine(f), findingsIn: 1 });
  }
  if (r.diff.existing.length) {
    const lines = r.diff.existing.map(findingLine).join("\n");
    blocks.push({
      text: `<details>\n<summary>Existing debt: ${r.diff.existing.length} finding${r.diff.existing.length === 1 ? "" : "s"} already on the base branch</summary>\n\n${lines}\n\n</details>`,
      findingsIn: r.diff.existing.length,
    });
  }
  return blocks;
}

/** Joins blocks until the limit, then says how many findings were left out and where to see them all. */
function fit(blocks: Array<{ text: string; findingsIn?: number }>, limit: number, prefix = ""): string {
  const reserve = 200;
  let out = prefix;
  let omitted = 0;
  let cut = false;
  for (const block of blocks) {
    const piece = (out ? "\n\n" : "") + block.text;
    if (!cut && out.length + piece.length <= limit - reserve) {
      out += piece;
    } else {
      cut = true;
      omitted += block.findingsIn ?? 0;
    }
  }
  if (cut) {
    out += `\n\n> ✂️ Cut to fit GitHub's size limit: ${omitted} more finding${omitted === 1 ? "" : "s"} not shown. Comment \`/audit full\` for the whole report.`;
  }
  return out.slice(0, limit);
}

export interface CheckRunOutput {
  title: string;
  summary: string;
}

export function renderCheckRunOutput(r: PullRequestReport): CheckRunOutput {
  return { title: headline(r), summary: fit(reportBlocks(r, { commits: true }), CHECK_OUTPUT_LIMIT) };
}

export function renderSummaryComment(r: PullRequestReport): string {
  const status = r.conclusion === "failure" ? "❌" : r.conclusion === "neutral" ? "➖" : "✅";
  const prefix = `${SUMMARY_MARKER}\n# ${status} index-audit: ${headline(r)}`;
  // No commit ids here: an unchanged verdict on a new push leaves the comment as it is (no edit, no call).
  return fit(reportBlocks(r, { commits: false }), COMMENT_LIMIT, prefix);
}

/** The summary comment when the configuration cannot be used; the same text goes to the check run. */
export function renderConfigErrorComment(message: string): string {
  return `${SUMMARY_MARKER}\n# ❌ index-audit: invalid configuration\n\n${configErrorText(message)}`;
}

export function configErrorText(message: string): string {
  return [
    "`.github/index-audit.yml` (read from the default branch) could not be used, so nothing was audited:",
    "",
    fence(message),
    "",
    "Fix the file on the default branch, then comment `/audit` to run again.",
  ].join("\n");
}

export function renderNothingRelevant(headSha: string): CheckRunOutput {
  return {
    title: "No migrations or query code changed",
    summary: `No file this pull request changes (at \`${shortSha(headSha)}\`) is a migration, SQL file, query code or the index-audit configuration, so there is nothing new to audit.`,
  };
}

export function renderInternalError(message: string): CheckRunOutput {
  return {
    title: "The audit stopped on an internal error",
    summary: `index-audit could not finish this audit:\n\n${fence(message.slice(0, 4000))}\n\nComment \`/audit\` or press **Re-audit** to try again.`,
  };
}

export function renderSuperseded(newerSha: string | null): CheckRunOutput {
  return {
    title: "Superseded by a newer audit",
    summary: newerSha
      ? `A newer audit of this pull request (at \`${shortSha(newerSha)}\`) replaced this one; its results are the current ones.`
      : "A newer audit of this pull request replaced this one; its results are the current ones.",
  };
}

// ---------------------------------------------------------------- annotations

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "failure" | "warning" | "notice";
  message: string;
  title: string;
  raw_details?: string;
}

const LEVEL: Record<Severity, Annotation["annotation_level"]> = { important: "failure", routine: "warning", noted: "notice" };

export function toAnnotations(findings: Finding[]): Annotation[] {
  return findings
    .filter((f) => f.location.file && f.location.line > 0)
    .map((f) => {
      const annotation: Annotation = {
        path: f.location.file,
        start_line: f.location.line,
        end_line: f.location.line,
        annotation_level: LEVEL[f.severity],
        message: f.message.slice(0, 64_000),
        title: `${f.title ?? f.rule}: ${f.table}${f.columns.length ? ` (${f.columns.join(", ")})` : ""}`.slice(0, 255),
      };
      const details = [f.fix?.sql, f.details].filter(Boolean).join("\n\n");
      if (details) annotation.raw_details = details.slice(0, 64_000);
      return annotation;
    });
}

export function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------- review comments

export interface InlinePlacement {
  path: string;
  /** The (last) line the comment sits on, RIGHT side. */
  line: number;
  /** First line when the comment spans several lines. */
  startLine?: number;
  /** When set, a ```suggestion replacing lines startLine..line with these lines. */
  suggestion?: string[];
  /** The suggestion rewrites the statement rather than adding after it. */
  suggestionReplaces?: boolean;
}

/**
 * An inline review comment: one short line (severity, what is slow, where, the index that fixes it),
 * then the suggestion or SQL, then the reasoning and call sites collapsed, then the marker.
 */
export function renderReviewComment(f: Finding, placement: InlinePlacement, docsBase?: string): string {
  const parts = [`**${BADGE[f.severity]}** ${safeMarkdown(shortLine(f))}`];
  if (placement.suggestion && f.fix) {
    const what = placement.suggestionReplaces ? "rewrites the statement" : "adds the fix right after the statement";
    parts.push("", `Suggested change (${what}):`, "", fence(placement.suggestion.join("\n"), "suggestion"));
  } else if (f.fix) {
    parts.push("", sqlBlock(f.fix.sql));
  }
  const evidence = evidenceBlock(f);
  if (evidence) parts.push("", evidence);
  const marker = findingMarker(f.id);
  // The marker must survive the cut: it is how the app recognises its own comment.
  const body = [...parts, "", reasoning(f, `Why (<code>${f.rule}</code>)`, docsBase)].join("\n");
  const room = COMMENT_LIMIT - marker.length - 2;
  return `${body.length > room ? body.slice(0, room) : body}\n\n${marker}`;
}

export function renderReviewBody(count: number, headSha: string): string {
  return `index-audit found ${count} new finding${count === 1 ? "" : "s"} on lines this change touches (at \`${shortSha(headSha)}\`). The summary comment lists everything.`;
}

export function renderFixedReply(findingId: string, headSha: string): string {
  return `✅ Fixed in ${headSha}.\n\n${fixedMarker(findingId)}`;
}

// ---------------------------------------------------------------- slash commands

export const HELP_TEXT = [
  "**index-audit commands** (people with write access to this repository):",
  "",
  "- `/audit`: audit this pull request again",
  "- `/audit full`: post the whole-repository report",
  "- `/audit help`: this list",
].join("\n");

export function renderPermissionDenied(login: string): string {
  return `Thanks, @${login}! Only people with write access to this repository can run index-audit commands, so nothing was run. A maintainer can comment \`/audit\` instead.`;
}
