// Slash commands in pull request comments.

export type SlashCommand = { kind: "audit" } | { kind: "full" } | { kind: "help" };

/** The first `/audit` command on a line of its own, or null. Anything after `/audit` that is not known asks for help. */
export function parseCommand(body: string | null | undefined): SlashCommand | null {
  for (const raw of (body ?? "").split("\n")) {
    const line = raw.trim();
    const match = /^\/audit(?:\s+(\S+))?\s*$/i.exec(line);
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
