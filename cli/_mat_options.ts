/**
 * Options shared by the commands that read scanner files (`grn predict`, `grn convert`): the
 * MAT variable (a path into cells and structs), its spacing variable, the frame of a 4-D
 * array, and the depth axis.
 * @module
 */
import type { OptionSpec } from "./_command.ts";

/** `--var NAME`: the MAT variable, or a path into a cell or struct. */
export const MAT_VAR_OPTION: OptionSpec = {
  name: "var",
  kind: "string",
  placeholder: "PATH",
  description:
    "MAT variable holding the scan, or a path into a cell/struct: ImgData{1}, P.img (default: the only 3-D numeric array)",
};

/** `--spacing-var NAME`: the MAT variable (or path) with the voxel size in mm. */
export const SPACING_VAR_OPTION: OptionSpec = {
  name: "spacing-var",
  kind: "string",
  placeholder: "PATH",
  description:
    'MAT variable or path with the voxel size in mm, e.g. P.spacing (default: "spacing" if present)',
};

/** `--frame N`: the frame of a 4-D MAT array, 1-based. */
export const FRAME_OPTION: OptionSpec = {
  name: "frame",
  kind: "integer",
  min: 1,
  placeholder: "N",
  description: "frame of a 4-D MAT array (4th dimension), 1-based like MATLAB (default 1)",
};

/** `--depth-axis 0|1|2`: the axis along which depth runs in the scan. */
export const DEPTH_AXIS_OPTION: OptionSpec = {
  name: "depth-axis",
  kind: "integer",
  min: 0,
  max: 2,
  placeholder: "AXIS",
  description:
    "axis along which depth runs in the scan (0: MATLAB rows, as in Verasonics ImgData); wins over a MAT sidecar's depthAxis",
};
