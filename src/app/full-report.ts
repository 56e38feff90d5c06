// `/audit full`: the whole-repository report (the same Markdown the CLI prints), fitted into one comment.
import type { AuditResult } from "../audit.js";
import type { AuditConfig } from "../core/config.js";
import { renderMarkdown } from "../report/markdown.js";
import { COMMENT_LIMIT } from "../report/github.js";

/** Read once: the version in the header of the report. */
export const APP_VERSION = "0.1.0";

export function renderFullReport(result: AuditResult, config: AuditConfig, sha: string, subject?: string): string {
  const header = `<!-- index-audit:full-report -->\nWhole-repository audit at \`${sha.slice(0, 7)}\`:\n\n`;
  const markdown = renderMarkdown(result, {
    version: APP_VERSION,
    date: new Date().toISOString().slice(0, 10),
    config,
    subject,
  });
  const room = COMMENT_LIMIT - header.length;
  if (markdown.length <= room) return header + markdown;
  const note = "\n\n> ✂️ Cut to fit GitHub's comment size limit. Run `npx index-audit` on a checkout for the whole report.";
  const cut = markdown.slice(0, room - note.length);
  // Cut at a line end so a table row or code fence is not split mid-line.
  return header + cut.slice(0, Math.max(cut.lastIndexOf("\n"), 0)) + note;
}
