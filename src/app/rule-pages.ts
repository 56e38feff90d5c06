// The rule pages (docs/rules/*.md, shipped in the package) served by the app itself, at
// `/docs/rules/<rule>`, rendered in GitHub's markdown styles: the links in the app's comments then
// always describe the version that wrote them.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { marked } from "marked";
import { ALL_RULES } from "../rules/index.js";

/** docs/ beside dist/ (or src/) in the installed package. */
const DOCS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "rules");
const RULE_IDS = new Set(ALL_RULES.map((r) => r.id));
const rendered = new Map<string, string>();

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

function layout(title: string, body: string): string {
  const css = readFileSync(createRequire(import.meta.url).resolve("github-markdown-css/github-markdown-light.css"), "utf8");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${css}
body { margin: 0; padding: 32px 16px; background: #fff; }
.markdown-body { max-width: 880px; margin: 0 auto; }
</style></head><body><article class="markdown-body">
${body}
</article></body></html>
`;
}

/** Links between rule pages (`other-rule.md#part`) stay within the served pages. */
function servedLinks(html: string): string {
  return html.replace(/href="\.?\/?([a-z0-9-]+)\.md(#[^"]*)?"/g, (_, id: string, hash = "") => (RULE_IDS.has(id) ? `href="${id}${hash}"` : `href="${id}.md${hash}"`));
}

/**
 * The HTML page of a rule (`index` lists every rule, linking to `<indexLinkPrefix><rule>`), or null for
 * a name that is not a rule: only known rule ids are read, so a request never reaches another file.
 */
export function rulePage(name: string, indexLinkPrefix = "rules/"): string | null {
  const cacheKey = `${name}\0${indexLinkPrefix}`;
  const cached = rendered.get(cacheKey);
  if (cached) return cached;
  let html: string;
  if (name === "" || name === "index") {
    const items = ALL_RULES.map((r) => `<li><a href="${indexLinkPrefix}${r.id}"><code>${r.id}</code></a>: ${escapeHtml(r.description)}</li>`).join("\n");
    html = layout("index-audit rules", `<h1>index-audit rules</h1>\n<ul>\n${items}\n</ul>`);
  } else {
    if (!RULE_IDS.has(name)) return null;
    const file = path.join(DOCS_DIR, `${name}.md`);
    if (!existsSync(file)) return null;
    html = layout(`${name}: index-audit`, servedLinks(marked.parse(readFileSync(file, "utf8"), { async: false })));
  }
  rendered.set(cacheKey, html);
  return html;
}
