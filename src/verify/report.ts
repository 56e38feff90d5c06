// What the verify stage reports, per migration set and in all: shared by the audit's result and the stage.
import type { Location } from "../core/types.js";
import type { TableScale } from "./scale.js";
import type { OverruledCase } from "./overruled.js";
import type { WhatIfTable } from "./what-if.js";

export interface SetVerification {
  name: string;
  /** Milliseconds: PGlite boot, the replay, generating rows and restoring statistics. */
  bootMs: number;
  replayMs: number;
  scaleMs: number;
  /** Milliseconds per EXPLAIN round trip (PREPARE, EXPLAIN EXECUTE, DEALLOCATE). */
  explainMs: number[];
  /** Statements sent to the server. */
  statements: number;
  standIns: string[];
  skipped: Array<{ location: Location; reason: string }>;
  failures: number;
  tables: TableScale[];
  /** Findings the stage could not verify, and why. */
  unverified: Array<{ id: string; reason: string }>;
  /** Hinted tables of 100,000 rows or more: their queries planned today and with the recommended indexes. */
  whatIf: WhatIfTable[];
}

export interface VerificationReport {
  /** `PostgreSQL 18.x`. */
  planner: string;
  defaultRows: number;
  sets: SetVerification[];
  /** Findings that carry evidence. */
  verified: number;
  /** Ids of recommendations demoted to NOTED because the planner did not use the index. */
  demoted: string[];
  /**
   * Queries the static matcher calls served that the planner reads whole at the planned size (a Seq
   * Scan, or an index scan that filters every row): each became a query-index finding (`id`).
   */
  overruled: OverruledCase[];
}
