import { isoNow } from "./shapes.js";
import { HttpError, type Annotation, type CheckRunAction, type CheckRunState } from "./types.js";

export const MAX_OUTPUT_CHARS = 65_535;
const MAX_ANNOTATIONS_PER_REQUEST = 50;
const MAX_ACTIONS = 3;

/** GitHub's limits on one check-run create/update request; each breach is a 422. */
export function enforceCheckRunLimits(input: Record<string, unknown>): void {
  const output = (input.output ?? {}) as Record<string, unknown>;
  for (const field of ["summary", "text"] as const) {
    const value = output[field];
    if (typeof value === "string" && value.length > MAX_OUTPUT_CHARS) {
      throw new HttpError(422, "Invalid request.", {
        errors: [`output.${field} is too long (maximum is ${MAX_OUTPUT_CHARS} characters, got ${value.length})`],
      });
    }
  }
  if (Array.isArray(output.annotations) && output.annotations.length > MAX_ANNOTATIONS_PER_REQUEST) {
    throw new HttpError(422, "Invalid request.", {
      errors: [`Only ${MAX_ANNOTATIONS_PER_REQUEST} annotations are allowed per request, got ${output.annotations.length}`],
    });
  }
  if (Array.isArray(input.actions) && input.actions.length > MAX_ACTIONS) {
    throw new HttpError(422, "Invalid request.", { errors: [`At most ${MAX_ACTIONS} actions are allowed, got ${input.actions.length}`] });
  }
  if ((input.status === "completed" || input.completed_at !== undefined) && input.conclusion === undefined) {
    throw new HttpError(422, "Invalid request.", { errors: ['"conclusion" is required when "status" is "completed"'] });
  }
}

/** Merges one create/update request into the run the way GitHub does: output replaced, annotations appended. */
export function applyCheckRunInput(run: CheckRunState, input: Record<string, unknown>): void {
  if (typeof input.name === "string") run.name = input.name;
  if (typeof input.details_url === "string") run.details_url = input.details_url;
  if (typeof input.external_id === "string") run.external_id = input.external_id;
  if (typeof input.started_at === "string") run.started_at = input.started_at;
  if (typeof input.status === "string") run.status = input.status;
  if (typeof input.conclusion === "string") {
    run.conclusion = input.conclusion;
    run.status = "completed";
    run.completed_at = typeof input.completed_at === "string" ? input.completed_at : isoNow();
  }
  if (Array.isArray(input.actions)) run.actions = input.actions as CheckRunAction[];
  const output = input.output as Record<string, unknown> | undefined;
  if (output) {
    if (typeof output.title === "string") run.output.title = output.title;
    if (typeof output.summary === "string") run.output.summary = output.summary;
    if (typeof output.text === "string") run.output.text = output.text;
    if (Array.isArray(output.annotations) && output.annotations.length > 0) {
      run.annotationBatches.push(output.annotations as Annotation[]);
      run.output.annotations_count += output.annotations.length;
    }
  }
}

