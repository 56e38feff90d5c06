// The one constructor of an access pattern with nothing read yet, shared by the SQL reader and the client recognizers.
import type { AccessPattern, Location, PatternSource, QueryKind, Suppression } from "../core/types.js";

/** Where a query is issued: its location, and the loop, function and suppressions around it. */
export interface PatternSite {
  location: Location;
  inLoop?: boolean;
  loop?: { kind: string; line: number };
  functionName?: string;
  /** See AccessPattern.cachedBy. */
  cachedBy?: string;
  suppressions?: Suppression[];
}

/** A pattern on `table` with no predicates, order, limit or joins yet, issued at `site` by `source`. */
export function emptyPattern(table: string, kind: QueryKind, source: PatternSource, site: PatternSite): AccessPattern {
  const pattern: AccessPattern = {
    table,
    kind,
    predicates: [],
    hasOr: false,
    orderBy: [],
    limited: false,
    joins: [],
    inLoop: site.inLoop ?? false,
    source,
    location: site.location,
    suppressions: site.suppressions ?? [],
  };
  if (site.loop) pattern.loop = site.loop;
  if (site.functionName) pattern.functionName = site.functionName;
  if (site.cachedBy) pattern.cachedBy = site.cachedBy;
  return pattern;
}
