// The check run's output when GitHub failed to give files the audit needed.
import type { CheckRunOutput } from "../report/github.js";
import { codeSpan } from "../report/escape.js";
import type { ReadProblem } from "../source/github-source.js";

const LISTED = 20;

/** Neutral output naming each unreadable file and GitHub's answer; no verdict is drawn from a partial read. */
export function renderUnreadable(problems: ReadProblem[], headSha: string): CheckRunOutput {
  const unique = [...new Map(problems.map((p) => [p.path, p])).values()];
  const lines = unique.slice(0, LISTED).map((p) => `- ${codeSpan(p.path)}: ${p.status !== undefined ? `GitHub answered ${p.status}` : codeSpan(p.message.slice(0, 200))}`);
  if (unique.length > LISTED) lines.push(`- and ${unique.length - LISTED} more`);
  return {
    title: `Could not read ${unique.length} file${unique.length === 1 ? "" : "s"} from GitHub; no verdict`,
    summary: [
      `GitHub did not return ${unique.length === 1 ? "a file" : "files"} this audit needs at \`${headSha.slice(0, 7)}\`, so its findings could look fixed or absent when they are not.`,
      "Nothing was concluded, no comment was posted, and nothing was kept: **Re-audit** (or `/audit`) reads GitHub again.",
      "",
      ...lines,
    ].join("\n"),
  };
}
