/**
 * Where the browser tests find Chromium: Debian's `/usr/bin/chromium` (installed by `.ci/run`),
 * or the binary `GRN_CHROMIUM` names.
 * @module
 */

/** The Chromium binary the browser tests drive. */
export const CHROMIUM: string = Deno.env.get("GRN_CHROMIUM") ?? "/usr/bin/chromium";

/** Why Chromium cannot run here, or `null` when it is there. */
export const CHROMIUM_MISSING: string | null = await Deno.stat(CHROMIUM).then(
  (s) => (s.isFile ? null : `${CHROMIUM} is not a file`),
  () => `${CHROMIUM} not found (install Debian's chromium package, as .ci/run does)`,
);
