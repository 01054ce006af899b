/**
 * Finding the WebGPU adapter (`navigator.gpu`, which Deno provides on Vulkan, Metal or D3D12)
 * and telling a real GPU from a software one (Mesa's llvmpipe/lavapipe, SwiftShader, WARP).
 * @module
 */

/** The limits of an adapter that matter for training, in bytes or counts. */
export interface WebGPUKeyLimits {
  /** Largest buffer the device can create (one tensor), in bytes. */
  maxBufferSize: number;
  /** Largest buffer a shader can bind as storage (one kernel input or output), in bytes. */
  maxStorageBufferBindingSize: number;
  /** Shared memory per workgroup, in bytes. */
  maxComputeWorkgroupStorageSize: number;
  /** Threads per workgroup. */
  maxComputeInvocationsPerWorkgroup: number;
  /** Workgroups per dispatch dimension. */
  maxComputeWorkgroupsPerDimension: number;
}

/** What {@linkcode probeWebGPU} found. */
export interface WebGPUAdapterReport {
  /** Whether an adapter was found. */
  found: boolean;
  /** Why there is none (`null` when one was found). */
  missing: string | null;
  /** The adapter's vendor as the driver reports it (a PCI id in decimal on Vulkan, or a name). */
  vendor: string;
  /** The adapter's architecture (often empty). */
  architecture: string;
  /** The adapter's device id or name (often `"0"` for software adapters). */
  device: string;
  /** The adapter's description, e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"`. */
  description: string;
  /** Whether the browser-level API calls it a fallback (software) adapter. */
  isFallbackAdapter: boolean;
  /**
   * Whether the adapter runs on the CPU (a fallback adapter, or a known software rasteriser:
   * llvmpipe, lavapipe, softpipe, SwiftShader, Microsoft Basic Render Driver / WARP, or Mesa's
   * software vendor id 0x10005). `auto` never chooses such an adapter.
   */
  software: boolean;
  /** Why the adapter counts as software (`null` when it does not). */
  softwareReason: string | null;
  /** Key limits; zeros when no adapter was found. */
  limits: WebGPUKeyLimits;
  /** Optional features the adapter offers (e.g. `"timestamp-query"`). */
  features: string[];
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|basic render driver|\bwarp\b/i;
/** Mesa's vendor id for its software drivers (`VK_VENDOR_ID_MESA`). */
const MESA_SOFTWARE_VENDOR = 0x10005;

const NO_LIMITS: WebGPUKeyLimits = {
  maxBufferSize: 0,
  maxStorageBufferBindingSize: 0,
  maxComputeWorkgroupStorageSize: 0,
  maxComputeInvocationsPerWorkgroup: 0,
  maxComputeWorkgroupsPerDimension: 0,
};

/** The adapter fields {@linkcode classifyAdapter} looks at. */
export interface AdapterIdentity {
  /** Vendor (decimal PCI id or name). */
  vendor: string;
  /** Device id or name. */
  device: string;
  /** Description. */
  description: string;
  /** Whether the API reports a fallback adapter. */
  isFallbackAdapter: boolean;
}

/**
 * Decides whether an adapter is software (runs on the CPU).
 *
 * @param info The adapter's identity, as in `GPUAdapter.info`.
 * @returns `software` and the reason (`null` for a real GPU).
 *
 * @example Mesa's lavapipe is software, a discrete GPU is not
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyAdapter } from "./adapter.ts";
 *
 * const lavapipe = classifyAdapter({
 *   vendor: "65541", device: "0", description: "llvmpipe (LLVM 15.0.6, 256 bits)",
 *   isFallbackAdapter: true,
 * });
 * assert.equal(lavapipe.software, true);
 * const gpu = classifyAdapter({
 *   vendor: "4318", device: "9984", description: "NVIDIA GeForce RTX 4090",
 *   isFallbackAdapter: false,
 * });
 * assert.deepEqual(gpu, { software: false, reason: null });
 * ```
 */
export function classifyAdapter(
  info: AdapterIdentity,
): { software: boolean; reason: string | null } {
  if (info.isFallbackAdapter) return { software: true, reason: "reported as a fallback adapter" };
  const name = `${info.description} ${info.device} ${info.vendor}`;
  const match = SOFTWARE_NAMES.exec(name);
  if (match) return { software: true, reason: `a software rasteriser (${match[0]})` };
  if (Number(info.vendor) === MESA_SOFTWARE_VENDOR) {
    return { software: true, reason: "Mesa's software vendor id 0x10005" };
  }
  return { software: false, reason: null };
}

let adapterPromise: Promise<GPUAdapter | null> | null = null;

async function requestAdapterQuietly(): Promise<GPUAdapter | null> {
  // Mesa's Vulkan drivers print "error: XDG_RUNTIME_DIR is invalid or not set" when they look for
  // a Wayland display while the instance is created; compute needs none. The variable is set for
  // that moment only, and only when it is unset and the program may change the environment.
  let setRuntimeDir = false;
  try {
    if (Deno.env.get("XDG_RUNTIME_DIR") === undefined) {
      Deno.env.set("XDG_RUNTIME_DIR", Deno.build.os === "windows" ? "." : "/tmp");
      setRuntimeDir = true;
    }
  } catch {
    // No --allow-env: the drivers may print their notice.
  }
  try {
    return await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  } finally {
    if (setRuntimeDir) Deno.env.delete("XDG_RUNTIME_DIR");
  }
}

/**
 * The process's WebGPU adapter, requested once (later calls return the same one).
 * @returns The adapter, or `null` when the runtime has no WebGPU or no adapter.
 */
export function webgpuAdapter(): Promise<GPUAdapter | null> {
  if (adapterPromise === null) {
    adapterPromise = typeof navigator === "undefined" || navigator.gpu === undefined
      ? Promise.resolve(null)
      : requestAdapterQuietly().catch(() => null);
  }
  return adapterPromise;
}

function limitsOf(adapter: GPUAdapter): WebGPUKeyLimits {
  const l = adapter.limits;
  return {
    maxBufferSize: l.maxBufferSize,
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
  };
}

/**
 * Looks for a WebGPU adapter and describes it: identity, key limits, and whether it is a
 * software (CPU) adapter. Requests the adapter once per process; on Linux with Mesa's Vulkan
 * drivers this takes about a second (three on a busy machine).
 *
 * @returns The report; `found: false` with the reason when there is no adapter.
 *
 * @example Probe, then decide
 * ```ts
 * import { probeWebGPU } from "./adapter.ts";
 *
 * const gpu = await probeWebGPU();
 * const usable = gpu.found && !gpu.software; // what initEngine's "auto" requires
 * console.log(gpu.found ? `${gpu.description}, software: ${gpu.software}` : gpu.missing, usable);
 * ```
 */
export async function probeWebGPU(): Promise<WebGPUAdapterReport> {
  const empty = {
    vendor: "",
    architecture: "",
    device: "",
    description: "",
    isFallbackAdapter: false,
    software: false,
    softwareReason: null,
    limits: { ...NO_LIMITS },
    features: [],
  };
  if (typeof navigator === "undefined" || navigator.gpu === undefined) {
    return { found: false, missing: "this runtime has no navigator.gpu", ...empty };
  }
  const adapter = await webgpuAdapter();
  if (adapter === null) {
    return {
      found: false,
      missing: "navigator.gpu.requestAdapter() found no adapter (no GPU driver; on Debian/" +
        "Ubuntu `apt-get install mesa-vulkan-drivers` provides a software one for tests)",
      ...empty,
    };
  }
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const identity: AdapterIdentity = {
    vendor: info.vendor ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
    isFallbackAdapter: info.isFallbackAdapter === true,
  };
  const { software, reason } = classifyAdapter(identity);
  return {
    found: true,
    missing: null,
    ...identity,
    architecture: info.architecture ?? "",
    software,
    softwareReason: reason,
    limits: limitsOf(adapter),
    features: [...adapter.features].map(String).sort(),
  };
}

function vendorText(vendor: string): string {
  const id = Number(vendor);
  return vendor !== "" && Number.isInteger(id) ? `0x${id.toString(16)}` : vendor || "?";
}

/**
 * One line about an adapter for notices and `grn doctor`.
 * @param report What {@linkcode probeWebGPU} returned.
 * @returns E.g. `llvmpipe (LLVM 15.0.6, 256 bits), vendor 0x10005, software (reported as a
 *   fallback adapter)`, or why there is no adapter.
 */
export function describeAdapter(report: WebGPUAdapterReport): string {
  if (!report.found) return `no adapter (${report.missing})`;
  const name = report.description || report.device || "unnamed adapter";
  return `${name}, vendor ${vendorText(report.vendor)}, ` +
    (report.software ? `software (${report.softwareReason})` : "hardware GPU");
}
