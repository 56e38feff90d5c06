// A small pool of worker threads (node:worker_threads, one per core) that parse migration files
// (libpg-query) and read code and .sql query files for their access patterns (oxc-parser and the code
// walker), while the main thread replays the schema and runs the rules. Only plain data crosses: a
// file's text goes in; its statements, or its patterns, and its problems come back.
//
// Results are matched to jobs by id and every caller awaits its jobs in the order it queued them, so
// the findings do not depend on which worker finished first.
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { Worker } from "node:worker_threads";
import type { InputProblem, MigrationFile, Statement } from "../core/types.js";
import type { SharedConstants } from "../queries/shared-constants.js";
import type { EmbeddedPattern } from "../queries/supabase.js";

/** One unit of work for a worker; plain data only (it is copied by structured clone). */
export type ParseJob =
  | { kind: "migration"; text: string; file: MigrationFile }
  | { kind: "code"; path: string; text: string }
  | { kind: "sql"; path: string; text: string };

export interface MigrationJobResult {
  statements: Statement[];
  problems: InputProblem[];
}

export interface QueryJobResult {
  patterns: EmbeddedPattern[];
  problems: InputProblem[];
}

export type ParseJobResult<J extends ParseJob> = J extends { kind: "migration" } ? MigrationJobResult : QueryJobResult;

/** What the pool runs a job with when no worker can: the same function the workers run. */
export type RunJobLocally = (job: ParseJob, constants: SharedConstants) => MigrationJobResult | QueryJobResult;

export interface ParsePool {
  /** The constants code files import from each other; set before the first code job. */
  setConstants(constants: SharedConstants): void;
  run<J extends ParseJob>(job: J): Promise<ParseJobResult<J>>;
  /** Jobs done so far by the workers and by the calling thread. */
  readonly done: { workers: number; here: number };
  /** Stops the workers; jobs still queued are run on the calling thread. */
  close(): Promise<void>;
}

/** Below this many files to parse, starting workers costs more than it saves. */
export const POOL_MIN_FILES = 400;

/** Jobs handed to one worker ahead of its results, so it never waits for the next message. */
const IN_FLIGHT_PER_WORKER = 32;
/** Jobs sent in one message at most: each message costs more than a small file's parse. */
const BATCH = 16;

/** Fewest cores with which workers pay: on two, one worker beside the calling thread measured slower than one thread. */
export const POOL_MIN_CORES = 4;

/**
 * How many workers to start for `files` files to parse on a machine with `cores` cores: 0 (parse on the
 * calling thread) for small inputs or fewer than POOL_MIN_CORES cores, else one fewer than the cores (at most 8).
 * `INDEX_AUDIT_WORKERS` overrides: `0` never starts workers, a positive number always starts that many.
 */
export function poolSize(files: number, requested?: number, cores: number = availableParallelism()): number {
  const fromEnv = process.env.INDEX_AUDIT_WORKERS;
  const forced = requested ?? (fromEnv !== undefined && /^\d+$/.test(fromEnv.trim()) ? Number(fromEnv) : undefined);
  if (forced !== undefined) return Math.max(0, Math.min(forced, 16));
  if (files < POOL_MIN_FILES) return 0;
  // The parse trees a worker sends back are copied into the calling thread, which costs about as much as
  // parsing them: workers only pay when several parse at once while the calling thread reads and replays.
  if (cores < POOL_MIN_CORES) return 0;
  // The calling thread does not parse, so the parsers' garbage stays in the workers' heaps, freed when the
  // pool closes, before the rules run. Each worker holds its own parsers and heap (some 50 MB).
  return Math.min(cores - 1, 8);
}

interface Pending {
  id: number;
  job: ParseJob;
  resolve: (value: MigrationJobResult | QueryJobResult) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Map<number, Pending>;
  alive: boolean;
}

type Reply = { id: number; ok: true; value: MigrationJobResult | QueryJobResult } | { id: number; ok: false; message: string };

/**
 * The worker entry: compiled JavaScript next to this file, or, when this file runs as TypeScript
 * (tsx, vitest), the TypeScript entry loaded through tsx's loader registered inside the worker.
 */
function startWorker(): Worker {
  const here = import.meta.url;
  // Loaded here, not imported: most runs start no worker, and node's worker modules cost some 2 ms to load.
  const { Worker } = createRequire(here)("node:worker_threads") as typeof import("node:worker_threads");
  if (/\.ts$/.test(new URL(here).pathname)) {
    const entry = new URL("./parse-worker.ts", here).href;
    // The package's ESM entry (its `import` condition); require.resolve gives the CommonJS one beside it.
    const tsx = pathToFileURL(createRequire(here).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
    const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(code, { eval: true });
  }
  return new Worker(new URL("./parse-worker.js", here));
}

/** Starts `size` workers (size >= 1). `local` runs a job on this thread when no worker is left to run it. */
export function createParsePool(size: number, local: RunJobLocally): ParsePool {
  const queue: Pending[] = [];
  const slots: Slot[] = [];
  let constants: SharedConstants | null = null;
  let nextId = 0;
  let closed = false;
  const done = { workers: 0, here: 0 };

  const runHere = (pending: Pending): void => {
    done.here++;
    try {
      pending.resolve(local(pending.job, constants ?? { strings: new Map(), objects: new Map() }));
    } catch (error) {
      pending.reject(error as Error);
    }
  };

  const pump = (): void => {
    if (slots.every((s) => !s.alive)) {
      // No worker left (each failed to start or stopped): the calling thread does the rest.
      while (queue.length > 0) runHere(queue.shift()!);
      return;
    }
    const alive = slots.filter((s) => s.alive).length;
    for (const slot of slots) {
      while (slot.alive && slot.busy.size < IN_FLIGHT_PER_WORKER && queue.length > 0) {
        // Smaller batches near the end of the queue, so that no worker is left with the tail alone.
        const take = Math.max(1, Math.min(BATCH, IN_FLIGHT_PER_WORKER - slot.busy.size, Math.ceil(queue.length / (2 * alive))));
        const batch = queue.splice(0, take);
        for (const pending of batch) slot.busy.set(pending.id, pending);
        slot.worker.postMessage({ jobs: batch.map((p) => ({ id: p.id, job: p.job })) });
      }
    }
  };

  const lose = (slot: Slot): void => {
    if (!slot.alive) return;
    slot.alive = false;
    // Its unfinished jobs go back to the front of the queue, in their order.
    queue.unshift(...[...slot.busy.values()].sort((a, b) => a.id - b.id));
    slot.busy.clear();
    slot.worker.terminate().catch(() => {});
    pump();
  };

  for (let k = 0; k < size; k++) {
    const slot: Slot = { worker: startWorker(), busy: new Map(), alive: true };
    slot.worker.on("message", (message: { replies: Reply[] }) => {
      for (const reply of message.replies) {
        const pending = slot.busy.get(reply.id);
        if (!pending) continue;
        slot.busy.delete(reply.id);
        done.workers++;
        if (reply.ok) pending.resolve(reply.value);
        else pending.reject(new Error(reply.message));
      }
      pump();
    });
    slot.worker.on("error", () => lose(slot));
    slot.worker.on("messageerror", () => lose(slot));
    slot.worker.on("exit", () => lose(slot));
    slots.push(slot);
  }

  return {
    done,
    setConstants(value) {
      constants = value;
      for (const slot of slots) if (slot.alive) slot.worker.postMessage({ constants: value });
    },
    run<J extends ParseJob>(job: J): Promise<ParseJobResult<J>> {
      return new Promise<ParseJobResult<J>>((resolve, reject) => {
        const pending: Pending = { id: nextId++, job, resolve: resolve as Pending["resolve"], reject };
        if (closed) return runHere(pending);
        queue.push(pending);
        pump();
      });
    },
    async close() {
      closed = true;
      const stopping = slots.map((slot) => {
        const done = slot.worker.terminate();
        lose(slot);
        return done.catch(() => 0);
      });
      await Promise.all(stopping);
    },
  };
}
