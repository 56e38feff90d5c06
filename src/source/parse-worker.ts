// Entry of a parse worker thread (see parse-pool.ts): loads libpg-query's WASM once, then answers
// each job with its result, or with the message of the error it threw.
import { parentPort } from "node:worker_threads";
import { initParser } from "../sql/parser.js";
import { emptyConstants, type SharedConstants } from "../queries/shared-constants.js";
import type { ParseJob } from "./parse-pool.js";
import { runParseJob } from "./parse-jobs.js";

await initParser();
let constants: SharedConstants = emptyConstants();

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

parentPort!.on("message", (message: { constants: SharedConstants } | { jobs: Array<{ id: number; job: ParseJob }> }) => {
  if ("constants" in message) {
    constants = message.constants;
    return;
  }
  const replies: Reply[] = [];
  for (const { id, job } of message.jobs) {
    try {
      replies.push({ id, ok: true, value: runParseJob(job, constants) });
    } catch (error) {
      replies.push({ id, ok: false, message: (error as Error).message });
    }
  }
  parentPort!.postMessage({ replies });
});
