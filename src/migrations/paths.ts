// Path helpers for repository-relative, forward-slash paths, and the natural order of file names.

export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i === -1 ? "" : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function joinPath(dir: string, name: string): string {
  if (!dir || dir === ".") return name;
  return `${dir.replace(/\/+$/, "")}/${name}`;
}

/** Normalises a user-written path: forward slashes, no `./`, no trailing slash. */
export function normalizePath(path: string): string {
  let p = path.replace(/\\/g, "/").replace(/\/+/g, "/");
  while (p.startsWith("./")) p = p.slice(2);
  if (p === ".") return "";
  return p.replace(/\/$/, "");
}

/** True when `path` is `root` itself or inside it. */
export function isUnder(path: string, root: string): boolean {
  if (!root) return true;
  return path === root || path.startsWith(`${root}/`);
}

export function segments(path: string): string[] {
  return path ? path.split("/") : [];
}

/** Compares digit runs by value, so `file2` comes before `file10` and `V1_9` before `V1_10`. */
export function naturalCompare(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  for (let k = 0; k < Math.min(ra.length, rb.length); k++) {
    const x = ra[k];
    const y = rb[k];
    if (x === y) continue;
    const xd = /^\d/.test(x);
    const yd = /^\d/.test(y);
    if (xd && yd) {
      const c = compareDigits(x, y);
      if (c !== 0) return c;
      // Same value, different zero padding: fewer leading zeros first, for a stable order.
      if (x.length !== y.length) return x.length - y.length;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return ra.length - rb.length;
}

/** Compares two digit strings by numeric value, at any length. */
export function compareDigits(x: string, y: string): number {
  const a = x.replace(/^0+(?=\d)/, "");
  const b = y.replace(/^0+(?=\d)/, "");
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Plain byte-wise order, the order `ls` and Go's os.ReadDir give. */
export function codeUnitCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Minimal glob: `**` any number of folders, `*` and `?` within one name. Matches a path or any of its parent folders. */
export function globMatches(glob: string, path: string): boolean {
  const pattern = normalizePath(glob);
  let re = "";
  for (let k = 0; k < pattern.length; k++) {
    const ch = pattern[k];
    if (ch === "*") {
      if (pattern[k + 1] === "*") {
        k++;
        if (pattern[k + 1] === "/") {
          k++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else re += "[^/]*";
    } else if (ch === "?") re += "[^/]";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  const regex = new RegExp(`^${re}(?:/.*)?$`);
  return regex.test(path);
}
