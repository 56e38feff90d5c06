// What the repository and its people write cannot speak for the bot: pasted markers do not count,
// names are escaped, commands hidden in code, quotes or HTML comments do not run, and a person
// without write access is answered once per pull request.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { findingIdsIn, SUMMARY_MARKER } from "../../src/report/github.js";
import { parseCommand } from "../../src/app/commands.js";
import type { RepoHandle } from "../support/github-standin/index.js";
import { startHarness, type Harness } from "./harness.js";

const MIGRATIONS = "supabase/migrations";
const INIT = "create table organizations (id uuid primary key);\n";
const CALLS =
  "create table call_logs (id uuid primary key, organization_id uuid not null);\nalter table call_logs add constraint call_logs_org_fkey foreign key (organization_id) references organizations (id) on delete cascade;\n";
const SIZES = "tables:\n  call_logs:\n    rows: 1000000\n";

let h: Harness;
let count = 0;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());
afterEach(() => expect(h.standin.violations()).toEqual([]));

const botComments = (repo: RepoHandle, n: number) => h.standin.issueComments(repo.fullName, n).filter((c) => c.user === h.standin.botLogin);

async function pr(files: Record<string, string>, base: Record<string, string> = {}): Promise<{ repo: RepoHandle; number: number }> {
  const repo = await h.standin.createRepo({
    owner: "acme",
    name: `hostile-${++count}`,
    files: { [`${MIGRATIONS}/20240101000000_init.sql`]: INIT, ".github/index-audit.yml": SIZES, ...base },
  });
  await repo.commit({ branch: "feature", files });
  const { number } = await repo.openPullRequest({ head: "feature", user: "author" });
  return { repo, number };
}

describe("markers written by others", () => {
  it("a summary marker in another bot's comment is not the app's summary; a finding marker in the author's review does not silence the finding", async () => {
    // The finding's id, from an audit of the same change elsewhere.
    const probe = await pr({ [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    await h.send("pull_request.opened", { repo: probe.repo, pullNumber: probe.number });
    const [id] = findingIdsIn(h.standin.reviewComments(probe.repo.fullName, probe.number)[0].body);
    expect(id).toBeTruthy();

    const { repo, number } = await pr({ [`${MIGRATIONS}/20240201000000_calls.sql`]: CALLS });
    const foreign = h.standin.addIssueComment(repo.fullName, number, { user: "other-bot[bot]", body: `${SUMMARY_MARKER}\nAll good here!` });
    await h.standin.addReview(repo.fullName, number, {
      user: "author",
      comments: [{ path: `${MIGRATIONS}/20240201000000_calls.sql`, line: 2, body: `nothing to see <!-- index-audit:finding:${id} -->` }],
    });
    await h.send("pull_request.opened", { repo, pullNumber: number });

    const other = h.standin.issueComments(repo.fullName, number).find((c) => c.id === foreign.id)!;
    expect(other.body).toBe(`${SUMMARY_MARKER}\nAll good here!`);
    expect(other.edits).toEqual([]);
    expect(botComments(repo, number)).toHaveLength(1);
    const mine = h.standin.reviewComments(repo.fullName, number).filter((c) => c.user === h.standin.botLogin);
    expect(mine).toHaveLength(1);
    expect(findingIdsIn(mine[0].body)).toEqual([id]);
  });
});

describe("names from the repository", () => {
  it("a table named like a team and a column named like a link are shown as text", async () => {
    const evil = [
      'create table "@acme/security-team" (id uuid primary key, "[click](https://evil.example/x)" uuid not null);',
      'alter table "@acme/security-team" add constraint t_fkey foreign key ("[click](https://evil.example/x)") references organizations (id) on delete cascade;',
      "",
    ].join("\n");
    const { repo, number } = await pr({ [`${MIGRATIONS}/20240201000000_evil.sql`]: evil }, { ".github/index-audit.yml": 'tables:\n  "@acme/security-team":\n    rows: 1000000\n' });
    await h.send("pull_request.opened", { repo, pullNumber: number });
    const bodies = [
      ...botComments(repo, number).map((c) => c.body),
      ...h.standin.reviewComments(repo.fullName, number).map((c) => c.body),
      h.standin.checkRuns(repo.fullName)[0].output.summary,
    ];
    expect(bodies.join("\n")).toContain("security-team");
    for (const body of bodies) {
      // Outside code spans and fences, no "@acme" (a mention) and no "](http" (a link) survive.
      const prose = (body ?? "").replace(/```[\s\S]*?```/g, "").replace(/(`+)[\s\S]*?\1/g, "");
      expect(prose).not.toMatch(/(^|[^\w\u200b])@acme/);
      expect(prose).not.toMatch(/(?<!\\)\]\(https?:\/\/evil/);
      expect(prose).not.toContain("https://evil");
      expect(prose).not.toContain("[click]");
    }
  });
});

describe("commands", () => {
  it("/audit in a code block, a quote or an HTML comment is not a command", () => {
    expect(parseCommand("```\n/audit\n```")).toBeNull();
    expect(parseCommand("~~~~\n/audit full\n~~~~")).toBeNull();
    expect(parseCommand("> /audit\n\nquoting the bot's help")).toBeNull();
    expect(parseCommand("<!-- /audit -->")).toBeNull();
    expect(parseCommand("<!--\n/audit\n-->")).toBeNull();
    expect(parseCommand("text\n\n    /audit")).toBeNull();
    expect(parseCommand("```\ncode\n```\n/audit")).toEqual({ kind: "audit" });
  });

  it("a quoted /audit over the wire runs nothing; a person without write access is answered once per pull request", async () => {
    const { repo, number } = await pr({ [`${MIGRATIONS}/20240201000000_calls.sql`]: `-- ${count}\n${CALLS}` });
    h.standin.setPermission(repo.fullName, "alice", "write");
    h.standin.resetRecording();
    await h.send("issue_comment.created", { repo, pullNumber: number, sender: "alice", comment: { body: "> /audit\n\nwhy did this say that?" } });
    expect(h.standin.requests()).toEqual([]);

    h.standin.setPermission(repo.fullName, "mallory", "read");
    for (let i = 0; i < 3; i++) await h.send("issue_comment.created", { repo, pullNumber: number, sender: "mallory", comment: { body: "/audit" } });
    expect(h.standin.checkRuns(repo.fullName)).toHaveLength(0);
    const replies = botComments(repo, number);
    expect(replies).toHaveLength(1);
    expect(replies[0].body).toContain("Only people with write access");
  });
});

describe("_extends", () => {
  it("may name only the same owner's repositories, and a missing target is an error on the check", async () => {
    await h.standin.createRepo({ owner: "evil", name: "shared", files: { ".github/index-audit.yml": "fail-on: never\n" } });
    await h.standin.createRepo({ owner: "acme", name: "settings", files: { ".github/index-audit.yml": "fail-on: never\n" } });
    const outcomes: Record<string, { conclusion: string | null; summary: string }> = {};
    for (const [label, extendsValue] of [
      ["foreign", "evil/shared"],
      ["missing", "no-such-settings"],
      ["same-owner", "settings"],
    ] as const) {
      const { repo, number } = await pr(
        { [`${MIGRATIONS}/20240201000000_calls.sql`]: `-- ${label}\n${CALLS}` },
        { ".github/index-audit.yml": `_extends: ${extendsValue}\ntables:\n  call_logs:\n    rows: 1000000\n` },
      );
      await h.send("pull_request.opened", { repo, pullNumber: number });
      const [run] = h.standin.checkRuns(repo.fullName);
      outcomes[label] = { conclusion: run.conclusion, summary: run.output.summary ?? "" };
    }
    expect(outcomes.foreign.conclusion).toBe("failure");
    expect(outcomes.foreign.summary).toContain("_extends: evil/shared belongs to another owner");
    expect(outcomes.missing.conclusion).toBe("failure");
    expect(outcomes.missing.summary).toContain("_extends: acme/no-such-settings was not found");
    // The same owner's settings apply: fail-on never.
    expect(outcomes["same-owner"].conclusion).toBe("success");
  });
});
