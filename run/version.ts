/**
 * The package version.
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** Version of the `grn` package (from `deno.json`). */
export const GRN_VERSION: string = denoJson.version;
