/**
 * The error raised when a computation runs out of tensor memory.
 * @module
 */

/** What was being computed, for the message of a {@linkcode MemoryLimitError}. */
export interface MemoryGuardContext {
  /** Batch size of the step (images per batch). */
  batchSize: number;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /**
   * What was being done, as a verb phrase completing "Cannot ...".
   * @default {"run this step"}
   */
  what?: string;
}

/** Details of a {@linkcode MemoryLimitError}. */
export interface MemoryLimitErrorDetails {
  /** The step that failed, when known. */
  context?: MemoryGuardContext | null;
  /** Bytes of the allocation that failed, when known. */
  requestedBytes?: number | null;
  /** Size of the wasm heap when it failed (`null` off wasm). */
  heapBytes?: number | null;
  /** Bytes tfjs counted in live tensors when it failed (`tf.memory().numBytes`, approximate). */
  tensorBytes?: number | null;
  /** The heap's hard limit in bytes. */
  limitBytes: number;
  /** Whether the backend can still be used (`false`: restart the process). */
  backendUsable: boolean;
  /** The original error. */
  cause?: unknown;
}

/**
 * A computation ran out of tensor memory: on the wasm backend the heap is capped at 4 GB (and
 * never shrinks), so a batch or image size that is too large ends here instead of in a crash or
 * in silently corrupted tensors. The message names the batch and image size and suggests
 * smaller ones, and says whether the process must be restarted
 * ({@linkcode MemoryLimitError.backendUsable}).
 */
export class MemoryLimitError extends Error {
  /** Always `"MemoryLimitError"`. */
  override readonly name = "MemoryLimitError";
  /** The step that failed, when known. */
  readonly context: MemoryGuardContext | null;
  /** Bytes of the allocation that failed, when known. */
  readonly requestedBytes: number | null;
  /** Size of the wasm heap when it failed (`null` off wasm). */
  readonly heapBytes: number | null;
  /** Bytes tfjs counted in live tensors when it failed (`tf.memory().numBytes`, approximate). */
  readonly tensorBytes: number | null;
  /** The heap's hard limit in bytes. */
  readonly limitBytes: number;
  /** Whether the backend can still be used; `false` means: restart the process. */
  readonly backendUsable: boolean;

  /**
   * Creates the error; thrown by the memory guard, not usually by user code.
   *
   * @param message The full message.
   * @param details See {@linkcode MemoryLimitErrorDetails}.
   */
  constructor(message: string, details: MemoryLimitErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.context = details.context ?? null;
    this.requestedBytes = details.requestedBytes ?? null;
    this.heapBytes = details.heapBytes ?? null;
    this.tensorBytes = details.tensorBytes ?? null;
    this.limitBytes = details.limitBytes;
    this.backendUsable = details.backendUsable;
  }
}
