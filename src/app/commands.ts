// Slash commands in pull request comments.

export type SlashCommand = { kind: "audit" } | { kind: "full" } | { kind: "help" };

/**
 * The first `/audit` command on a line of its own, or null. Anything after `/audit` that is not known
 * asks for help. Only text a reader sees as prose counts: a command inside a fenced or indented code
 * block, a block quote (someone quoting an earlier `/audit`) or an HTML comment is not a command
 * (CommonMark §4.4, §4.5, §5.1; HTML comments as GitHub hides them).
 */
export function parseCommand(body: string | null | undefined): SlashCommand | null {
  // An unterminated comment hides the rest of the comment, as it does when GitHub renders it.
  const visible = (body ?? "").replace(/\r\n?/g, "\n").replace(/<!--[\s\S]*?(?:-->|$)/g, "");
  let fence: { char: string; length: number } | null = null;
  for (const raw of visible.split("\n")) {
    const opener = /^ {0,3}(`{3,}|~{3,})/.exec(raw);
    if (fence) {
      if (opener && opener[1][0] === fence.char && opener[1].length >= fence.length && raw.trim() === opener[1]) fence = null;
      continue;
    }
    if (opener) {
      fence = { char: opener[1][0], length: opener[1].length };
      continue;
    }
    // Four spaces or a tab: an indented code block. A `>`: a quote.
    if (/^( {4}|\t)/.test(raw) || /^ {0,3}>/.test(raw)) continue;
    const match = /^\/audit(?:\s+(\S+))?\s*$/i.exec(raw.trim());
    if (!match) continue;
    const word = match[1]?.toLowerCase();
    if (!word) return { kind: "audit" };
    if (word === "full") return { kind: "full" };
    return { kind: "help" };
  }
  return null;
}

/** Permission levels that may start audits; "maintain" is reported as `write` with that role name. */
export function canTrigger(permission: string | undefined, roleName?: string | null): boolean {
  return permission === "admin" || permission === "write" || roleName === "maintain" || roleName === "admin" || roleName === "write";
}
