/**
 * `grn validate`: check a dataset folder.
 * @module
 */
import type { Command } from "../_command.ts";
import { validateDataset } from "../../data/validate_dataset.ts";

/** The `validate` command. */
export const command: Command = {
  name: "validate",
  summary: "check a dataset folder and list every problem",
  description:
    "Checks dataset.json and every image and label file (shapes, spacing, label values 0-6,\n" +
    "NaN voxels, image/label affines, duplicate images, ...). Files may be NIfTI (.nii,\n" +
    ".nii.gz), NRRD (.nrrd, .nhdr), 3D Slicer segmentations (.seg.nrrd) or MATLAB .mat\n" +
    '(v5 or v7.3; the only 3-D array, or one named by a sidecar <name>.json with "variable",\n' +
    'e.g. "ImgData{1}"), recognised by content. Only regular files inside the folder are\n' +
    "read. Prints every problem, one per line; exits with 1 if there is any.",
  positionals: [{ name: "dir", description: "dataset folder (holds dataset.json)" }],
  options: [
    {
      name: "allow-external-links",
      kind: "boolean",
      description:
        "follow symbolic links whose target leaves the dataset folder (refused by default)",
    },
  ],
  examples: ["grn validate data/phantom", "grn validate data/phantom --json"],
  async run({ args, out }) {
    const dir = args.positionals.dir!;
    const report = await validateDataset(dir, {
      allowExternalLinks: args.values["allow-external-links"] === true,
    });
    out.result(report, () => {
      const head =
        `${dir}: ${report.scans} scans (${report.labeled} labeled, ${report.unlabeled} unlabeled)`;
      if (report.ok) return `${head}: OK`;
      const n = report.problems.length;
      return [
        `${head}: ${n} problem${n === 1 ? "" : "s"}`,
        ...report.problems.map((p) => `  ${p}`),
      ].join("\n");
    });
    return report.ok ? 0 : 1;
  },
};
