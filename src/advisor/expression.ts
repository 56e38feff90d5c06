// One spelling per expression, so `LOWER( email )` in code and `lower(email)` in an index compare equal.
// The parser reads the text and the deparser writes it back; both are PostgreSQL's own grammar.
import { deparseNode, parseSql } from "../sql/parser.js";

const textCache = new Map<string, string>();

function stripped(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripped);
  if (node && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === "location") continue;
      out[k] = stripped(v);
    }
    return out;
  }
  return node;
}

/** Canonical text of an expression AST (libpg-query node). */
export function normalizeExpressionAst(node: Record<string, any>): string {
  try {
    return deparseNode(stripped(node) as Record<string, any>);
  } catch {
    return JSON.stringify(stripped(node));
  }
}

/** Canonical text of an expression written as SQL; the text itself (trimmed) when it does not parse. */
export function normalizeExpressionText(text: string): string {
  const cached = textCache.get(text);
  if (cached !== undefined) return cached;
  let result = text.trim();
  const parsed = parseSql(`SELECT ${text}`);
  const target = parsed.ok ? parsed.statements[0]?.ast?.SelectStmt?.targetList : undefined;
  if (Array.isArray(target) && target.length === 1 && target[0].ResTarget?.val) {
    result = normalizeExpressionAst(target[0].ResTarget.val);
  }
  textCache.set(text, result);
  return result;
}
