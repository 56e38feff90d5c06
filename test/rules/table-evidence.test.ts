// What counts as a growing table, seen through the severity fk-index gives and the evidence it quotes.
import { beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern, ColumnPredicate, QueryKind } from "../../src/core/types.js";
import { fkIndex } from "../../src/rules/fk-index.js";
import { initParser } from "../../src/sql/parser.js";
import { check } from "./helpers.js";

beforeAll(async () => {
  await initParser();
});

function pattern(table: string, kind: QueryKind, line: number, predicates: ColumnPredicate[] = []): AccessPattern {
  return { table, kind, predicates, hasOr: false, orderBy: [], limited: false, joins: [], inLoop: false, source: "sql-in-code", location: { file: `src/${table}.ts`, line, column: 1 }, suppressions: [] };
}

const range = (column: string, operator: "<" | ">=" = ">="): ColumnPredicate => ({ column, op: "range", operator, sentAs: "param" });
const eq = (column: string): ColumnPredicate => ({ column, op: "eq", sentAs: "param" });

const BOARDS = "CREATE TABLE boards (id int PRIMARY KEY);\n";
const DELETE_BOARD = pattern("boards", "delete", 40, [eq("id")]);

/** The fk-index finding on `table`: its severity and the sentence that says why. */
function weighed(sql: string, patterns: AccessPattern[], table: string) {
  const found = check(fkIndex, BOARDS + sql, { patterns }).filter((f) => f.table === `public.${table}`);
  expect(found).toHaveLength(1);
  return { severity: found[0].severity, why: found[0].details!.split("\n\n")[0] };
}

describe("growth: per-owner rows are not a growing history", () => {
  const TAGS = "CREATE TABLE customer_tags (id int PRIMARY KEY, board_id int REFERENCES boards (id) ON DELETE CASCADE, tag text, created_at timestamptz DEFAULT now());";

  it("a link table the code inserts into and deletes from again is ROUTINE, and the reason names the delete", () => {
    const { severity, why } = weighed(TAGS, [DELETE_BOARD, pattern("customer_tags", "insert", 7), pattern("customer_tags", "delete", 9, [eq("tag")])], "customer_tags");
    expect(severity).toBe("routine");
    expect(why).toBe(
      "ROUTINE because the code deletes boards rows (src/boards.ts:40), but nothing shows customer_tags growing without bound: no size hint; the code inserts into customer_tags but also deletes its rows (src/customer_tags.ts:9), so it is not append-only, and no query reads it by a time range.",
    );
  });

  it("a per-owner resource with a created_at column that the code also updates is ROUTINE", () => {
    const { severity, why } = weighed(TAGS.replaceAll("customer_tags", "apps"), [DELETE_BOARD, pattern("apps", "insert", 7), pattern("apps", "update", 12, [eq("id")])], "apps");
    expect(severity).toBe("routine");
    expect(why).toContain("the code inserts into apps but also updates its rows (src/apps.ts:12), so it is not append-only");
  });

  it("a unique key on another foreign key is named for how the table grows, never as narrowing this key's check", () => {
    const sql =
      "CREATE TABLE images (id int PRIMARY KEY);\nCREATE TABLE team_profiles (id int PRIMARY KEY, board_id int UNIQUE REFERENCES boards (id), image_id int REFERENCES images (id));";
    const found = check(fkIndex, BOARDS + sql, { patterns: [pattern("images", "delete", 3, [eq("id")])] });
    expect(found.map((f) => f.columns)).toEqual([["image_id"]]);
    const why = found[0].details!.split("\n\n")[0];
    expect(found[0].severity).toBe("routine");
    expect(why).toBe(
      "ROUTINE because the code deletes images rows (src/images.ts:3), but team_profiles holds at most one row per boards (a unique key on board_id), so it grows only as boards does.",
    );
    expect(found[0].details).toContain("each of those checks reads all of public.team_profiles");
  });

  it("a settings table is named as such, without claiming the check reads few rows", () => {
    const { severity, why } = weighed("CREATE TABLE board_settings (id int PRIMARY KEY, board_id int REFERENCES boards (id));", [DELETE_BOARD], "board_settings");
    expect(severity).toBe("routine");
    expect(why).toBe("ROUTINE because the code deletes boards rows (src/boards.ts:40), but board_settings is a settings or configuration table, a few rows per owner rather than a growing history.");
  });
});

describe("growth: an append-only shape or a history read by time", () => {
  const EVENTS = "CREATE TABLE events (id int PRIMARY KEY, board_id int REFERENCES boards (id) ON DELETE CASCADE, created_at timestamptz, expires_at timestamptz);";

  it("inserted, never updated, deleted only by age: IMPORTANT, naming the retention delete", () => {
    const { severity, why } = weighed(EVENTS, [DELETE_BOARD, pattern("events", "insert", 5), pattern("events", "delete", 30, [range("created_at", "<")])], "events");
    expect(severity).toBe("important");
    expect(why).toBe(
      "IMPORTANT because the code deletes boards rows (src/boards.ts:40), and the code inserts into events (src/events.ts:5) and never updates its rows and deletes them only by age (src/events.ts:30), so rows accumulate.",
    );
  });

  it("inserted and updated, but read by a range of its time column: IMPORTANT, naming the query", () => {
    const patterns = [DELETE_BOARD, pattern("events", "insert", 5), pattern("events", "update", 8, [eq("id")]), pattern("events", "select", 22, [eq("board_id"), range("created_at")])];
    const { severity, why } = weighed(EVENTS, patterns, "events");
    expect(severity).toBe("important");
    expect(why).toContain("the code inserts into events (src/events.ts:5) and reads it by a range of created_at (src/events.ts:22), a history that grows with time");
  });

  it("a range on when rows end (expires_at) is no history", () => {
    const patterns = [DELETE_BOARD, pattern("events", "insert", 5), pattern("events", "update", 8, [eq("id")]), pattern("events", "select", 22, [range("expires_at")])];
    expect(weighed(EVENTS, patterns, "events").severity).toBe("routine");
  });
});

describe("account closure: deleting one user by its key runs the check once per closed account", () => {
  const USERS = "CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE);\n";
  const LEDGER =
    "CREATE TABLE ledger_entries (id int PRIMARY KEY, board_id int REFERENCES boards (id) ON DELETE CASCADE, created_by int REFERENCES users (id), amount int, created_at timestamptz DEFAULT now());";
  const closeAccount = pattern("users", "delete", 21, [eq("id")]);
  const grows = [pattern("ledger_entries", "insert", 5), pattern("ledger_entries", "select", 8, [eq("board_id"), range("created_at")])];

  it("a creator column on a growing table is ROUTINE when the code deletes users only one account at a time, and says so", () => {
    const found = check(fkIndex, BOARDS + USERS + LEDGER, { patterns: [closeAccount, ...grows] }).filter((f) => f.columns[0] === "created_by");
    expect(found).toHaveLength(1);
    expect(found[0].severity).toBe("routine");
    expect(found[0].details!.split("\n\n")[0]).toBe(
      "ROUTINE because the code deletes users rows (src/users.ts:21) one account at a time, by its key: an account is closed once, so the check runs once per closed account rather than on everyday requests, though the code inserts into ledger_entries (src/ledger_entries.ts:5) and never updates or deletes its rows, so rows accumulate.",
    );
  });

  it("stays IMPORTANT when users are deleted in bulk by a cleanup job (a range, not a key)", () => {
    const cleanup = pattern("users", "delete", 30, [range("created_at", "<")]);
    const found = check(fkIndex, BOARDS + USERS.replace("email text", "email text, created_at timestamptz") + LEDGER, { patterns: [closeAccount, cleanup, ...grows] }).filter((f) => f.columns[0] === "created_by");
    expect(found[0].severity).toBe("important");
  });

  it("stays IMPORTANT when a size hint says the child is large and the key writes through", () => {
    const found = check(fkIndex, BOARDS + USERS + LEDGER.replace("REFERENCES users (id)", "REFERENCES users (id) ON DELETE SET NULL"), {
      patterns: [closeAccount, ...grows],
      config: { tables: { ledger_entries: { rows: 5_000_000 } } },
    }).filter((f) => f.columns[0] === "created_by");
    expect(found[0].severity).toBe("important");
  });

  it("a cascade from an account closure is ROUTINE; the same child is IMPORTANT once the code deletes its parent on its own", () => {
    const sql = USERS + "CREATE TABLE hooks (id int PRIMARY KEY, user_id int REFERENCES users (id) ON DELETE CASCADE);\nCREATE TABLE hook_calls (id int PRIMARY KEY, hook_id int REFERENCES hooks (id) ON DELETE CASCADE, sent_at timestamptz);";
    const calls = [pattern("hook_calls", "insert", 3)];
    const viaClosure = check(fkIndex, BOARDS + sql, { patterns: [closeAccount, ...calls] }).find((f) => f.columns[0] === "hook_id")!;
    expect(viaClosure.severity).toBe("routine");
    expect(viaClosure.details).toContain("one account at a time, by its key, which cascades to hooks");
    const direct = check(fkIndex, BOARDS + sql, { patterns: [closeAccount, pattern("hooks", "delete", 12, [eq("id")]), ...calls] }).find((f) => f.columns[0] === "hook_id")!;
    expect(direct.severity).toBe("important");
    expect(direct.details!.split("\n\n")[0]).toContain("the code deletes hooks rows (src/hooks.ts:12)");
  });
});

describe("tenant deletion: deleting one team, organisation or workspace by its key runs the check once per deleted tenant", () => {
  const ORGS = "CREATE TABLE organizations (id text PRIMARY KEY, name text, created_at timestamptz);\n";
  const SHELVES =
    "CREATE TABLE shelves (id text PRIMARY KEY, org_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE, deleted_at timestamptz);\n" +
    "CREATE TABLE loans (id text PRIMARY KEY, shelf_id text REFERENCES shelves (id) ON DELETE SET NULL ON UPDATE CASCADE, created_at timestamptz DEFAULT now());";
  const deleteOrg = pattern("organizations", "delete", 198, [eq("id")]);
  const loansGrow = [pattern("loans", "insert", 229), pattern("loans", "select", 252, [eq("shelf_id"), range("created_at")])];
  const onLoans = (patterns: AccessPattern[], config = {}) => {
    const found = check(fkIndex, BOARDS + ORGS + SHELVES, { patterns, config }).filter((f) => f.table === "public.loans");
    expect(found).toHaveLength(1);
    return { severity: found[0].severity, why: found[0].details!.split("\n\n")[0] };
  };

  it("a growing child reached only through the cascade of an organisation deleted by its key is ROUTINE, and says why", () => {
    const { severity, why } = onLoans([deleteOrg, ...loansGrow]);
    expect(severity).toBe("routine");
    expect(why).toBe(
      "ROUTINE because the code deletes organizations rows (src/organizations.ts:198) one tenant at a time, by its key, which cascades to shelves: a tenant (a team, organisation or workspace) is deleted once, at the end of its life, so the check runs once per deleted tenant rather than on everyday requests, though the code inserts into loans (src/loans.ts:229) and never updates or deletes its rows, so rows accumulate.",
    );
  });

  it("the same holds for a team or workspace table deleted directly by its key", () => {
    for (const tenant of ["Team", "workspaces"]) {
      const sql = `CREATE TABLE "${tenant}" (id text PRIMARY KEY);\nCREATE TABLE webhook_calls (id text PRIMARY KEY, tenant_id text REFERENCES "${tenant}" (id) ON DELETE CASCADE, created_at timestamptz);`;
      const found = check(fkIndex, sql, { patterns: [pattern(tenant, "delete", 79, [eq("id")]), pattern("webhook_calls", "insert", 29)] });
      expect(found).toHaveLength(1);
      expect(found[0].severity).toBe("routine");
      expect(found[0].details).toContain("one tenant at a time, by its key");
    }
  });

  it("stays IMPORTANT when a request path deletes the ordinary parent rows themselves", () => {
    const { severity, why } = onLoans([deleteOrg, pattern("shelves", "delete", 40, [eq("id")]), ...loansGrow]);
    expect(severity).toBe("important");
    expect(why).toContain("the code deletes shelves rows (src/shelves.ts:40), and the code inserts into loans");
  });

  it("stays IMPORTANT when organisations are deleted in bulk by a job (not one by its key)", () => {
    const sweep = pattern("organizations", "delete", 12, [range("created_at", "<")]);
    expect(onLoans([deleteOrg, sweep, ...loansGrow]).severity).toBe("important");
  });

  it("stays IMPORTANT when a size hint says the child is large and the key writes through", () => {
    expect(onLoans([deleteOrg, ...loansGrow], { tables: { loans: { rows: 5_000_000 } } }).severity).toBe("important");
  });

  it("a table merely named like a tenant's child (team_members) deleted by its key is an ordinary delete path", () => {
    const sql = "CREATE TABLE team_members (id text PRIMARY KEY);\nCREATE TABLE audit_entries (id text PRIMARY KEY, member_id text REFERENCES team_members (id) ON DELETE CASCADE, created_at timestamptz);";
    const found = check(fkIndex, sql, { patterns: [pattern("team_members", "delete", 5, [eq("id")]), pattern("audit_entries", "insert", 9)] });
    expect(found[0].severity).toBe("important");
  });
});
