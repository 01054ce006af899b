import type { MemoryOrder } from "./memory_order.ts";

/** Options of {@linkcode hausdorffDistance95} (also used by `hd95PerClass`). */
export interface HausdorffOptions {
  /**
   * Percentile of the surface distances, in `[0, 100]`; 100 gives the classic Hausdorff
   * distance.
   * @default {95}
   */
  percentile?: number;
  /**
   * How the two directed distance sets are combined. `"max"`: the larger of the two directed
   * percentiles, `max(P(d(S_P → S_T)), P(d(S_T → S_P)))` (MONAI `compute_hausdorff_distance`,
   * Metrics Reloaded). `"pooled"`: one percentile of both sets pooled together (medpy `hd95`, as
   * used by the SSL4MIS and SASSNet test scripts).
   * @default {"max"}
   */
  mode?: "max" | "pooled";
  /**
   * Score when both masks are empty (nothing to compare). `NaN` means "not applicable" and is
   * left out of means.
   * @default {NaN}
   */
  emptyBoth?: number;
  /**
   * Score when exactly one mask is empty (a missed or hallucinated structure): the distance is
   * unbounded, so the default is `Infinity`. `"diagonal"` substitutes the grid diagonal in mm
   * (the largest distance between two voxel centres, a common finite worst case); a number is
   * used as is.
   * @default {Infinity}
   */
  emptyOne?: number | "diagonal";
  /**
   * Memory order of the masks for `shape` and `spacing`; see {@linkcode MemoryOrder}.
   * @default {"C"}
   */
  order?: MemoryOrder;
}
