/**
 * `grn doctor`: engine, backends, versions, CPUs and memory.
 * @module
 */
import type { Command } from "../_command.ts";
import { BACKEND_OPTION, NATIVE_OPTION, THREADS_OPTION } from "../_shared_options.ts";
import { type DoctorReport, doctorReport } from "../_doctor_report.ts";
import type { BackendChoice } from "../../engine/init_engine.ts";
import { describeAdapter } from "../../engine/webgpu/adapter.ts";
import type { NativeChoice } from "../../engine/native/provider.ts";

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function format(r: DoctorReport): string {
  const e = r.engine;
  const rows: [string, string][] = [
    ["grn", r.versions.grn!],
    ["deno", `${r.versions.deno} (v8 ${r.versions.v8}, typescript ${r.versions.typescript})`],
    ["tensorflow.js", `core ${r.versions["tfjs-core"]}, wasm ${r.versions["tfjs-backend-wasm"]}`],
    ["platform", `${r.platform.os} ${r.platform.arch}`],
    [
      "engine",
      `${e.backend}${e.tensorflowPackage ? ` (${e.tensorflowPackage})` : ""}, ${e.threads} thread${
        e.threads === 1 ? "" : "s"
      }`,
    ],
    ...e.skipped.map((s): [string, string] => ["  skipped", s]),
    [
      "native kernels",
      e.native
        ? `${e.native.library} ${e.native.version}, ${e.native.threads} thread${
          e.native.threads === 1 ? "" : "s"
        } (${e.native.kernels.join(", ")})`
        : "off",
    ],
    ["training kernels", e.kernels.length > 0 ? e.kernels.join(", ") : "none registered"],
    ["backends", r.registeredBackends.join(", ")],
    ["webgpu", e.webgpu ? describeAdapter(e.webgpu) : "not probed (--backend auto or webgpu does)"],
    ...(e.webgpu?.found
      ? [[
        "  webgpu limits",
        `buffer ${mib(e.webgpu.limits.maxBufferSize)}, storage binding ${
          mib(e.webgpu.limits.maxStorageBufferBindingSize)
        }, workgroup memory ${e.webgpu.limits.maxComputeWorkgroupStorageSize} B, ${e.webgpu.limits.maxComputeInvocationsPerWorkgroup} threads/workgroup`,
      ] as [string, string]]
      : []),
    [
      "wasm threads",
      `${
        r.wasmThreads.available ? "available" : "unavailable"
      } (${r.wasmThreads.detail}; up to ${r.wasmThreads.maxThreads})`,
    ],
    ["tfjs-node", r.tfjsNode.found ? `found (${r.tfjsNode.detail})` : "not installed"],
    ["libdnnl (oneDNN)", r.libdnnl.found ? `found (${r.libdnnl.detail})` : "not found"],
    [
      "cpu",
      `${r.cpu.logicalCores} logical cores, ${r.cpu.model}, load ${r.cpu.loadAverage1m.toFixed(2)}`,
    ],
    [
      "memory",
      `${gib(r.memory.availableBytes)} available of ${gib(r.memory.totalBytes)}; this process ${
        gib(r.memory.processRssBytes)
      }`,
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n");
}

/** The `doctor` command. */
export const command: Command = {
  name: "doctor",
  summary: "show the engine, available backends, versions, CPUs and memory",
  description: "Starts the engine as `train` would and reports what it found.",
  options: [BACKEND_OPTION, THREADS_OPTION, NATIVE_OPTION],
  examples: ["grn doctor", "grn doctor --threads 2 --json"],
  async run({ args, out }) {
    const report = await doctorReport({
      backend: (args.values.backend as BackendChoice | undefined) ?? "auto",
      threads: (args.values.threads as number | undefined) ?? 1,
      native: (args.values.native as NativeChoice | undefined) ?? "auto",
    });
    out.result({ ok: true, ...report }, () => format(report));
    return 0;
  },
};
