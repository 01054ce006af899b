/**
 * POSIX `join`, `basename`, `dirname`, `isAbsolute` and `relative` for the browser bundle of
 * `grn export --web` (the bundle maps `node:path` here). The page never touches a file path;
 * these only let the SDK modules it shares with Deno load.
 * @module
 */

function normalizeParts(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!path.startsWith("/")) out.push("..");
    } else {
      out.push(part);
    }
  }
  return out;
}

/** Joins path segments with `/` and normalises `.` and `..`. */
export function join(...parts: string[]): string {
  const path = parts.filter((p) => p.length > 0).join("/");
  if (path.length === 0) return ".";
  const joined = normalizeParts(path).join("/");
  return path.startsWith("/") ? `/${joined}` : joined.length > 0 ? joined : ".";
}

/** The last segment of a path (trailing slashes ignored). */
export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Everything before the last segment (`.` for a bare name, `/` for the root). */
export function dirname(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : trimmed.slice(0, i);
}

/** Whether a path starts at the root. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** The path from `from` to `to` (both taken as given: no working folder in a browser). */
export function relative(from: string, to: string): string {
  const a = normalizeParts(from), b = normalizeParts(to);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
}
