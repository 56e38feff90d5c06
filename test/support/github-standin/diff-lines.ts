/** Which lines of a file a review comment may sit on, read from the hunks of its `patch`. */
export interface CommentableLines {
  /** New-file line numbers inside hunks (context and added lines). */
  right: Set<number>;
  /** Old-file line numbers inside hunks (context and removed lines). */
  left: Set<number>;
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

export function commentableLines(patch: string | undefined): CommentableLines {
  const right = new Set<number>();
  const left = new Set<number>();
  if (!patch) return { right, left };
  let oldLine = 0;
  let newLine = 0;
  for (const line of patch.split("\n")) {
    const header = HUNK_HEADER.exec(line);
    if (header) {
      oldLine = Number(header[1]);
      newLine = Number(header[3]);
      continue;
    }
    if (line.startsWith("\\")) continue; // "\ No newline at end of file"
    if (line.startsWith("+")) {
      right.add(newLine++);
    } else if (line.startsWith("-")) {
      left.add(oldLine++);
    } else {
      right.add(newLine++);
      left.add(oldLine++);
    }
  }
  return { right, left };
}

/** Position (1-based line index within the patch, hunk headers after the first counted) of a line, as the legacy `position` field means. */
export function positionOf(patch: string | undefined, line: number, side: "LEFT" | "RIGHT"): number | null {
  if (!patch) return null;
  let oldLine = 0;
  let newLine = 0;
  let position = -1;
  for (const text of patch.split("\n")) {
    position++;
    const header = HUNK_HEADER.exec(text);
    if (header) {
      oldLine = Number(header[1]);
      newLine = Number(header[3]);
      continue;
    }
    if (text.startsWith("\\")) continue;
    if (text.startsWith("+")) {
      if (side === "RIGHT" && newLine === line) return position;
      newLine++;
    } else if (text.startsWith("-")) {
      if (side === "LEFT" && oldLine === line) return position;
      oldLine++;
    } else {
      if ((side === "RIGHT" && newLine === line) || (side === "LEFT" && oldLine === line)) return position;
      newLine++;
      oldLine++;
    }
  }
  return null;
}
