/**
 * Loading oneDNN: finds `libdnnl.so.2` (or the file in `GRN_ONEDNN_LIBRARY`), checks that it is
 * oneDNN 2.x, binds its functions and OpenMP, creates the runtime and runs the ABI self-check.
 * @module
 */
import {
  ONEDNN_LIBRARY_NAMES,
  ONEDNN_MAJOR,
  ONEDNN_SYMBOLS,
  type OneDnnVersion,
  OPENMP_LIBRARY_NAME,
  OPENMP_SYMBOLS,
  type OpenMpSymbols,
  readVersion,
  VERSION_SYMBOLS,
} from "./onednn_ffi.ts";
import { checkAbi } from "./_onednn_abi.ts";
import { OneDnnRuntime } from "./_onednn_runtime.ts";

/** Why the native provider cannot be used. */
export type NativeUnavailableReason = "permission" | "absent" | "version" | "abi";

/** Thrown by {@linkcode OneDnn.load} when oneDNN cannot be used; `reason` says which check failed. */
export class NativeUnavailableError extends Error {
  /** Which check failed: no FFI permission, library absent, wrong major version, ABI mismatch. */
  readonly reason: NativeUnavailableReason;
  /** A short form for one-line notices, e.g. `"libdnnl.so.2 not installed"`. */
  readonly summary: string;

  /**
   * An error saying which check failed, with a short and a full message.
   * @param reason Which check failed.
   * @param summary A short form for one-line notices.
   * @param message The full message.
   * @param options Standard error options (`cause`).
   */
  constructor(
    reason: NativeUnavailableReason,
    summary: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "NativeUnavailableError";
    this.reason = reason;
    this.summary = summary;
  }
}

/** Environment variable naming the oneDNN library file to load instead of `libdnnl.so.2`. */
export const ONEDNN_LIBRARY_ENV = "GRN_ONEDNN_LIBRARY";

/** What {@linkcode OneDnn.load} was asked for. */
export interface OneDnnLoadOptions {
  /**
   * Library file names or paths to try, in order.
   * @default {the path in `GRN_ONEDNN_LIBRARY` when set (and readable with --allow-env), else ["libdnnl.so.2"]}
   */
  libraryNames?: readonly string[];
}

function defaultLibraryNames(): readonly string[] {
  const permission = Deno.permissions.querySync({ name: "env", variable: ONEDNN_LIBRARY_ENV });
  if (permission.state !== "granted") return ONEDNN_LIBRARY_NAMES;
  const path = Deno.env.get(ONEDNN_LIBRARY_ENV);
  return path ? [path] : ONEDNN_LIBRARY_NAMES;
}

/** The loaded oneDNN library with its CPU engine and stream. */
export class OneDnn extends OneDnnRuntime {
  /**
   * Opens oneDNN, checks the version (major 2 only) and the ABI, and creates the CPU engine.
   * @throws {NativeUnavailableError} With `reason` `permission` (no `--allow-ffi`), `absent`
   *   (library not found), `version` (not oneDNN 2.x) or `abi` (a layout check failed).
   */
  static load(options: OneDnnLoadOptions = {}): OneDnn {
    const { libraryNames = defaultLibraryNames() } = options;
    const permission = Deno.permissions.querySync({ name: "ffi" });
    if (permission.state !== "granted") {
      throw new NativeUnavailableError(
        "permission",
        "no FFI permission (run with --allow-ffi)",
        `Cannot load oneDNN: Deno has no FFI permission (got ffi permission "${permission.state}"); ` +
          "run with --allow-ffi",
      );
    }
    const restoreEnvironment = passiveOpenMp();
    try {
      return OneDnn.#open(libraryNames);
    } finally {
      restoreEnvironment();
    }
  }

  static #open(libraryNames: readonly string[]): OneDnn {
    const failures: string[] = [];
    for (const name of libraryNames) {
      let probe: Deno.DynamicLibrary<typeof VERSION_SYMBOLS>;
      try {
        probe = Deno.dlopen(name, VERSION_SYMBOLS);
      } catch (error) {
        failures.push(`${name}: ${firstLine(error)}`);
        continue;
      }
      let version: OneDnnVersion;
      try {
        version = readVersion(probe.symbols.dnnl_version());
      } finally {
        probe.close();
      }
      const label = `${version.major}.${version.minor}.${version.patch}`;
      if (version.major !== ONEDNN_MAJOR) {
        throw new NativeUnavailableError(
          "version",
          `${name} is oneDNN ${label}, not 2.x`,
          `Cannot load oneDNN: ${name} is version ${label}, these bindings describe the ABI of ` +
            `oneDNN ${ONEDNN_MAJOR}.x only (got ${label}); install libdnnl2 (oneDNN 2.x)`,
        );
      }
      let lib: Deno.DynamicLibrary<typeof ONEDNN_SYMBOLS>;
      try {
        lib = Deno.dlopen(name, ONEDNN_SYMBOLS);
      } catch (error) {
        throw new NativeUnavailableError(
          "abi",
          `oneDNN ${label} lacks a required function`,
          `Cannot load oneDNN ${label}: a function these bindings need is missing (got ${
            firstLine(error)
          })`,
          { cause: error },
        );
      }
      let omp: OpenMpSymbols | null = null;
      try {
        omp = Deno.dlopen(OPENMP_LIBRARY_NAME, OPENMP_SYMBOLS).symbols;
      } catch {
        omp = null; // A build with another threading runtime: threads stay at its default.
      }
      const dnn = new OneDnn(lib.symbols, omp, version, name);
      try {
        checkAbi(dnn);
      } catch (error) {
        throw new NativeUnavailableError(
          "abi",
          `oneDNN ${label} failed the ABI check`,
          `Cannot use oneDNN ${label}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      return dnn;
    }
    throw new NativeUnavailableError(
      "absent",
      `${libraryNames.join(", ")} not installed (apt-get install libdnnl2)`,
      `Cannot load oneDNN: the library is not installed (got ${failures.join("; ")}); ` +
        "on Debian/Ubuntu: apt-get install libdnnl2",
    );
  }
}

/** OpenMP variables whose values the user may have chosen; grn then leaves the policy alone. */
const OPENMP_POLICY_VARIABLES = ["OMP_WAIT_POLICY", "GOMP_SPINCOUNT"] as const;

/**
 * Makes the OpenMP runtime that loads with oneDNN put idle threads to sleep at once
 * (`OMP_WAIT_POLICY=PASSIVE`) unless the user set a policy; returns a function that removes
 * the variable again (libgomp reads it once, when it loads).
 *
 * libgomp's default lets idle threads spin for a while. On a machine whose cores are shared
 * with other processes, every parallel region then waits for a preempted spinning thread:
 * measured here with two threads, a 3x3 convolution took 28-33 ms per call instead of 2-5 ms,
 * and PyTorch (same runtime) slowed down the same way. On an idle machine, passive waiting adds
 * the worker threads' wake-up latency to each parallel primitive instead.
 */
function passiveOpenMp(): () => void {
  const permitted = OPENMP_POLICY_VARIABLES.every((variable) =>
    Deno.permissions.querySync({ name: "env", variable }).state === "granted"
  );
  if (!permitted || OPENMP_POLICY_VARIABLES.some((v) => Deno.env.get(v) !== undefined)) {
    return () => {};
  }
  Deno.env.set("OMP_WAIT_POLICY", "PASSIVE");
  return () => Deno.env.delete("OMP_WAIT_POLICY");
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}
