// Generated DDL histories (fixed seeds) against PostgreSQL: creates, renames, drops and constraint
// changes over a few tables with long and colliding names. Statements the server rejects are left
// out of the history, so the replay sees exactly what a real migration run would have applied.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Statement } from "../../src/core/types.js";
import { replaySchema } from "../../src/schema/replay.js";
import { comparableCatalog, comparableModel, resetDatabase } from "./catalog.js";
import { sqlToStatements } from "./helpers.js";
import { startPGlite } from "../support/pglite.js";

const SEEDS = [1, 2, 3, 4, 5, 6];
const STEPS = 200;
const CHECK_EVERY = 40;

const TABLES = ["orders", "items", "a_rather_long_table_name_used_to_force_truncation_of_names"];
const COLUMNS = ["id", "ref", "code", "status", "an_extremely_long_column_name_that_pushes_generated_names"];

/** Small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(seed: number) {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const table = () => pick([...TABLES, "renamed_" + pick(TABLES).slice(0, 10)]);
  const column = () => pick(COLUMNS);
  const twoColumns = () => {
    const a = column();
    const b = column();
    return a === b ? a : `${a}, ${b}`;
  };
  const constraintName = (t: string) =>
    pick([`${t}_pkey`, `${t}_${column()}_key`, `${t}_${column()}_fkey`, `${t}_${column()}_check`, `${t}_check`, `${t}_${column()}_key1`, "named_constraint"]).slice(0, 63);
  const indexName = (t: string) => pick([`${t}_${column()}_idx`, `${t}_${column()}_idx1`, `${t}_pkey`, "named_index", `${t}_expr_idx`]).slice(0, 63);

  return (): string => {
    const t = table();
    switch (Math.floor(next() * 16)) {
      case 0:
      case 1:
        return `create table ${t} (id int primary key, ref int references ${next() < 0.5 ? t : table()}, code text unique, status text check (status <> ''), ${COLUMNS[4]} int)`;
      case 2:
        return `create ${next() < 0.3 ? "unique " : ""}index ${next() < 0.2 ? "named_index " : ""}on ${t} (${twoColumns()})${next() < 0.3 ? " where status is not null" : ""}`;
      case 3:
        return `create index on ${t} (lower(code))${next() < 0.5 ? " include (status)" : ""}`;
      case 4:
        return `alter table ${t} add column ${column()} int${pick(["", " unique", ` references ${table()}`, " check (id > 0)", " not null default 0"])}`;
      case 5:
        return `alter table ${t} drop column ${column()}${next() < 0.5 ? " cascade" : ""}`;
      case 6:
        return `alter table ${t} rename column ${column()} to ${column()}`;
      case 7:
        return `alter table ${t} rename to ${table()}`;
      case 8:
        return `alter table ${t} add ${next() < 0.3 ? "constraint named_constraint " : ""}${pick(["unique", "primary key"])} (${twoColumns()})`;
      case 9:
        return `alter table ${t} add ${next() < 0.3 ? "constraint named_constraint " : ""}foreign key (${column()}) references ${table()} on delete ${pick(["cascade", "set null", "restrict", "no action"])}`;
      case 10:
        return `alter table ${t} drop constraint ${constraintName(t)}${next() < 0.5 ? " cascade" : ""}`;
      case 11:
        return `alter table ${t} rename constraint ${constraintName(t)} to ${constraintName(table())}`;
      case 12:
        return `drop index ${indexName(t)}`;
      case 13:
        return `alter index ${indexName(t)} rename to ${indexName(table())}`;
      case 14:
        return `drop table ${t}${next() < 0.5 ? " cascade" : ""}`;
      default:
        return `alter table ${t} alter column ${column()} ${pick(["set not null", "drop not null", "type bigint", "type text"])}`;
    }
  };
}

let db: PGlite;

beforeAll(async () => {
  db = await startPGlite();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe("generated DDL histories agree with the PostgreSQL catalog", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}`, async () => {
      await resetDatabase(db);
      const next = generator(seed);
      const applied: Statement[] = [];
      let checkpoints = 0;
      for (let step = 0; step < STEPS; step++) {
        const sql = next();
        try {
          await db.exec(sql);
          applied.push(...sqlToStatements(sql, `step-${step}.sql`, step));
        } catch {
          // rejected by the server: not part of the history
        }
        if ((step + 1) % CHECK_EVERY !== 0) continue;
        const history = applied.map((s) => s.sql).join(";\n");
        expect(comparableModel(replaySchema(applied)), history).toEqual(await comparableCatalog(db));
        checkpoints++;
      }
      expect(checkpoints).toBe(STEPS / CHECK_EVERY);
      expect(applied.length).toBeGreaterThanOrEqual(20);
    });
  }
});
