/**
 * The engine's `log` callback of the commands that start it (`train`, `predict`, `eval`,
 * `bench`, `demo`): forwards the engine's lines and, right after the engine has started,
 * prints the oneDNN notice (`oneDnnNotice`) at most once per process.
 * @module
 */
import { currentEngine, type EngineInfo } from "../engine/init_engine.ts";
import type { NativeUnavailableReason } from "../engine/native/_onednn_load.ts";
import { NativeUnavailableError } from "../engine/native/onednn.ts";
import { oneDnnNotice } from "../engine/native/onednn_notice.ts";
import { loadOneDnn, type NativeChoice } from "../engine/native/provider.ts";
import type { Output } from "./_output.ts";

let noticeGiven = false;

/** What the engine log needs to know about the process (replaceable in tests). */
export interface EngineProbe {
  /** The engine that started, or `null` (`currentEngine`). */
  engine(): EngineInfo | null;
  /** Why oneDNN cannot be used, or `null` when it loads (`loadOneDnn`'s cached outcome). */
  unavailable(): NativeUnavailableReason | null;
  /** `Deno.build.os` and `Deno.build.arch`. */
  platform(): { os: string; arch: string };
}

/** The real process: the running engine, oneDNN's load outcome, `Deno.build`. */
export const PROCESS_ENGINE_PROBE: EngineProbe = {
  engine: currentEngine,
  unavailable() {
    try {
      loadOneDnn(); // after initEngine tried it: the cached instance or the cached failure
      return null;
    } catch (error) {
      return error instanceof NativeUnavailableError ? error.reason : null;
    }
  },
  platform: () => ({ os: Deno.build.os, arch: Deno.build.arch }),
};

/** Options of {@linkcode engineLog}. */
export interface EngineLogOptions {
  /** `--quiet`: no notice. @default {false} */
  quiet?: boolean;
  /** `--native` as given; `"off"` gets no notice. @default {"auto"} */
  native?: NativeChoice;
  /** Where the engine's own lines go. @default {`out.note`} */
  forward?: (line: string) => void;
  /** The process facts. @default {PROCESS_ENGINE_PROBE} */
  probe?: EngineProbe;
}

/**
 * A `log` callback for `initEngine` (through the run functions): every line goes to `forward`;
 * after the engine's own line (`grn engine: ...`), the oneDNN notice goes to `out.note` (stderr)
 * when `oneDnnNotice` gives one, once per process whatever the number of engine starts.
 *
 * @param out The command's output.
 * @param options Quiet, the `--native` choice, the forwarding of lines and the probe.
 * @returns The callback.
 */
export function engineLog(out: Output, options: EngineLogOptions = {}): (line: string) => void {
  const {
    quiet = false,
    native = "auto",
    forward = (line: string) => out.note(line),
    probe = PROCESS_ENGINE_PROBE,
  } = options;
  return (line) => {
    forward(line);
    if (quiet || noticeGiven || !line.startsWith("grn engine:")) return;
    const engine = probe.engine();
    if (engine === null) return;
    // Probe only where a notice is possible: the wasm backend without oneDNN, not turned off.
    if (engine.backend !== "wasm" || engine.native !== null || native === "off") return;
    const notice = oneDnnNotice({
      backend: engine.backend,
      native: engine.native,
      nativeChoice: native,
      unavailable: probe.unavailable(),
      ...probe.platform(),
    });
    if (notice === null) return;
    noticeGiven = true;
    out.note(notice);
  };
}

/** Whether this process has printed the oneDNN notice (for tests). */
export function oneDnnNoticeGiven(): boolean {
  return noticeGiven;
}

/** Forgets that the notice was printed (tests only). */
export function resetOneDnnNotice(): void {
  noticeGiven = false;
}
