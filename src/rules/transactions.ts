// How each migration framework wraps a file in a transaction, and how a migration opts out:
// what the index-locking rule tells an author whose CONCURRENTLY statement would run inside one.
import type { Framework, Statement } from "../core/types.js";

export interface TransactionAdvice {
  /** Why the statement runs inside a transaction, as a clause ("Supabase applies each migration file as one transaction"). */
  why: string;
  /** What to do so the statement runs outside one. */
  remedy: string;
  /** Whether the migration certainly fails (some tools run CONCURRENTLY outside the batch in newer releases). */
  certainFailure: boolean;
  /**
   * What to do instead for an ADD UNIQUE / PRIMARY KEY rebuilt as CREATE UNIQUE INDEX CONCURRENTLY plus ADD CONSTRAINT
   * ... USING INDEX, when `remedy` would not keep the constraint; `remedy` otherwise.
   */
  constraintRemedy?: string;
}

const FRAMEWORK_ADVICE: Record<Framework, TransactionAdvice> = {
  supabase: {
    why: "the Supabase CLI applies each migration file as one transaction (one pipeline)",
    remedy:
      "Put the statement in a migration file of its own with no other statements. Recent Supabase CLI releases take CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY out of the batch and run them on their own (DROP INDEX CONCURRENTLY only in later releases); older releases fail with SQLSTATE 25001.",
    certainFailure: false,
  },
  // Only a migration.sql holding several statements counts as running in a transaction (frameworks/prisma.ts).
  prisma: {
    why: "Prisma Migrate sends a migration.sql as one script, and PostgreSQL runs a script of several statements as one implicit transaction",
    remedy:
      "Keep the statement alone in a migration.sql of its own (`prisma migrate dev --create-only`, then edit that file so it holds only this statement): a file of one statement runs outside a transaction.",
    certainFailure: true,
  },
  // Declared schemas have no migration files: `prisma db push` and `drizzle-kit push` apply the differences directly.
  "prisma-schema": {
    why: "`prisma db push` applies the schema's changes itself",
    remedy: "Build the index by hand with CREATE INDEX CONCURRENTLY before pushing the schema that declares it; the push then finds it in place.",
    certainFailure: false,
  },
  "drizzle-schema": {
    why: "`drizzle-kit push` applies the schema's changes itself",
    remedy: "Build the index by hand with CREATE INDEX CONCURRENTLY before pushing the schema that declares it; the push then finds it in place.",
    certainFailure: false,
  },
  drizzle: {
    why: "drizzle-kit migrate (and drizzle-orm's migrate()) applies all pending migrations inside one transaction",
    remedy:
      "Drizzle has no per-migration switch to turn the transaction off. Build the index outside the migrator (psql, or a script run after it), and keep a plain `CREATE INDEX IF NOT EXISTS` of the same name in the migration, which then finds the index built and does nothing.",
    certainFailure: true,
    // A plain CREATE INDEX in the constraint's place would lose the uniqueness, and drizzle-kit's snapshot still
    // expects the constraint.
    constraintRemedy:
      "Drizzle has no per-migration switch to turn the transaction off. Take the ADD CONSTRAINT out of this migration; build the unique index outside the migrator (psql, or a script run after it) with CREATE UNIQUE INDEX CONCURRENTLY; then attach it in a later migration with ADD CONSTRAINT ... USING INDEX, which takes the lock only for a moment and leaves the constraint drizzle-kit's snapshot declares. A plain CREATE INDEX in its place would lose the uniqueness.",
  },
  flyway: {
    why: "Flyway runs a migration in a transaction unless it is told or detects otherwise",
    remedy:
      "Keep the statement in a migration of its own: Flyway detects CREATE INDEX CONCURRENTLY on PostgreSQL and then runs that migration outside a transaction, but refuses a migration that mixes it with transactional statements (unless `mixed=true`). To be explicit, add a script configuration file next to the migration (`<migration file name>.conf`) containing `executeInTransaction=false`.",
    certainFailure: true,
  },
  "golang-migrate": {
    why: "golang-migrate's postgres driver sends the whole file as one multi-statement query, which PostgreSQL runs as one implicit transaction",
    remedy:
      "Put the statement alone in its own migration file (one statement per file), or enable the driver's `x-multi-statement=true` option so it sends statements one at a time.",
    certainFailure: true,
  },
  dbmate: {
    why: "dbmate runs each migration in a transaction unless the section says otherwise",
    remedy: "Change the section header to `-- migrate:up transaction:false`, and keep that migration free of statements that must be applied atomically.",
    certainFailure: true,
  },
  sqitch: {
    why: "this Sqitch deploy script runs inside a transaction",
    remedy: "Sqitch runs the deploy script as written: remove the BEGIN/COMMIT around this statement, or move it into a change of its own without them.",
    certainFailure: true,
  },
  "schema-dump": {
    why: "this file runs inside a transaction",
    remedy: "Run the statement outside any transaction block.",
    certainFailure: true,
  },
  plain: {
    why: "this file runs inside a transaction",
    remedy: "Run the statement outside any transaction block: move it out of BEGIN … COMMIT, or into a file of its own that the runner does not wrap in a transaction.",
    certainFailure: true,
  },
};

const EXPLICIT_BLOCK: TransactionAdvice = {
  why: "the file wraps it in BEGIN … COMMIT",
  remedy: "Move the statement after the COMMIT (or into a migration of its own) so it runs outside the transaction block.",
  certainFailure: true,
};

/** The advice for a statement that runs inside a transaction; null when it does not. */
export function transactionAdvice(statement: Statement, framework: Framework): TransactionAdvice | null {
  if (statement.inExplicitTransaction) return EXPLICIT_BLOCK;
  if (!statement.inTransaction) return null;
  return FRAMEWORK_ADVICE[framework];
}

export function frameworkAdvice(framework: Framework): TransactionAdvice {
  return FRAMEWORK_ADVICE[framework];
}

/** What a finding says about a CONCURRENTLY statement that certainly fails: message, first line, details. */
export interface CertainFailure {
  message: string;
  summary: string;
  details: string[];
}

/**
 * CONCURRENTLY inside a DO block: a DO body runs as a function, and PostgreSQL's PreventInTransactionBlock
 * refuses it there ("cannot be executed from a function", SQLSTATE 25001) whatever the migration tool does.
 */
export function doBlockFailure(what: string, tool: TransactionAdvice | null): CertainFailure {
  return {
    message: `${what} CONCURRENTLY inside a DO block always fails: a DO body runs as a function, and PostgreSQL refuses CONCURRENTLY there ("cannot be executed from a function", SQLSTATE 25001).`,
    summary: `${what} CONCURRENTLY fails inside a DO block: move it out of the block.`,
    details: [
      `Move the statement out of the DO block, into a migration of its own that runs outside a transaction. A condition the block tested can usually be written into the statement itself (IF NOT EXISTS / IF EXISTS).`,
      ...(tool ? [tool.remedy] : []),
    ],
  };
}

/**
 * CONCURRENTLY in a dbmate `transaction:false` section that holds other statements: dbmate sends the section
 * as one query string, and PostgreSQL runs a multi-statement query as one implicit transaction block.
 */
export function sharedQueryFailure(what: string): CertainFailure {
  return {
    message: `${what} CONCURRENTLY fails here although the section says transaction:false: dbmate sends the whole up section to PostgreSQL as one multi-statement query, which runs as one implicit transaction, and CONCURRENTLY cannot run inside a transaction block (SQLSTATE 25001).`,
    summary: `${what} CONCURRENTLY fails in a transaction:false section that holds other statements: one statement per migration.`,
    details: [
      `\`transaction:false\` stops dbmate from wrapping the section in BEGIN … COMMIT, but a query string that holds several statements still runs as one implicit transaction. Put each CONCURRENTLY statement alone in a migration of its own, with \`-- migrate:up transaction:false\`.`,
    ],
  };
}
