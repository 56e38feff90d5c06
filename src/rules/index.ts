// Every rule the audit runs, in the order their findings are produced.
import { appSideAggregation } from "./app-side-aggregation.js";
import { breakingChange } from "./breaking-change.js";
import { constraintValidation } from "./constraint-validation.js";
import { fkIndex } from "./fk-index.js";
import { indexLocking } from "./index-locking.js";
import { indexNameCollision } from "./index-name-collision.js";
import { lockTimeout } from "./lock-timeout.js";
import { migrationFails } from "./migration-fails.js";
import { migrationListing } from "./migration-listing.js";
import { missingPrimaryKey } from "./missing-primary-key.js";
import { nPlusOne } from "./n-plus-one.js";
import { parseError } from "./parse-error.js";
import { partitionCandidate } from "./partition-candidate.js";
import { queryIndex } from "./query-index.js";
import { redundantIndex } from "./redundant-index.js";
import { tableRewrite } from "./table-rewrite.js";
import type { Rule } from "./rule.js";
import { unboundedQuery } from "./unbounded-query.js";

export const ALL_RULES: Rule[] = [
  parseError,
  migrationListing,
  fkIndex,
  redundantIndex,
  indexLocking,
  indexNameCollision,
  constraintValidation,
  tableRewrite,
  lockTimeout,
  breakingChange,
  missingPrimaryKey,
  partitionCandidate,
  queryIndex,
  nPlusOne,
  unboundedQuery,
  appSideAggregation,
  migrationFails,
];

export function ruleById(id: string): Rule | undefined {
  return ALL_RULES.find((rule) => rule.id === id);
}
