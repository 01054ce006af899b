/**
 * Private: reading an NRRD file's header and samples from disk (attached data, or a `.nhdr`
 * with one detached data file), bounded and confined like the NIfTI reader.
 *
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import { FileReadError, readErrorReason, readRegularFile, show } from "../_file_io.ts";
import type { VolumeArray } from "../volume.ts";
import {
  decodeNrrdSamples,
  NRRD_SIZE_MARGIN,
  nrrdDataSize,
  nrrdMaxFileBytes,
} from "./_nrrd_data.ts";
import { isNrrd, type NrrdHeader, parseNrrdHeader } from "./nrrd_header.ts";

/** The one detached data file a header names, resolved against the header's folder. */
function detachedPath(header: NrrdHeader, path: string, external: boolean): string {
  const name = header.dataFile!;
  if (!external && (isAbsolute(name) || name.split(/[\\/]/).includes(".."))) {
    throw new Error(
      `Cannot read NRRD file ${path}: the detached data file must be in the header's folder; allow others with allowExternalLinks (--allow-external-links) (got data file ${
        show(name)
      })`,
    );
  }
  if (/^LIST\b/.test(name) || /%/.test(name) || /\s\d+\s+\d+/.test(name)) {
    throw new Error(
      `Cannot read NRRD file ${path}: only a single detached data file is supported, not a list or a numbered series (got data file ${
        show(name)
      })`,
    );
  }
  return isAbsolute(name) ? name : join(dirname(path), name);
}

/**
 * A `checkHead` for `readRegularFile` that refuses, before the rest is read, an attached NRRD
 * file larger than its header implies (see `nrrdMaxFileBytes`: raw data + skips + 1 MiB;
 * gzip that plus 1 % and 64 KiB). A head that does not parse is left to the full decode.
 *
 * @param file The name used in error messages.
 * @returns The check; it throws a `FileReadError` naming the expected and the actual size.
 */
export function nrrdFileSizeCheck(file: string): (head: Uint8Array, size: number) => void {
  return (head, size) => {
    let header: NrrdHeader;
    try {
      header = parseNrrdHeader(head, file);
    } catch {
      return;
    }
    if (header.dataFile !== undefined || header.byteSkip === -1) return;
    const max = nrrdMaxFileBytes(header, header.headerBytes);
    if (size > max) {
      throw new FileReadError(
        file,
        `the file is larger than its header implies (expected at most ${max} bytes for sizes [${
          header.sizes.join(", ")
        }] ${header.type} ${header.encoding} data; got ${size}); it was not read`,
      );
    }
  };
}

/**
 * Reads an NRRD file's header and samples (see `readNrrdFile` for the checks).
 *
 * @throws {Error} Naming the file, as `readNrrd` does.
 */
export async function readNrrdSamples(
  path: string,
  options: { root?: string; allowExternalLinks?: boolean },
): Promise<{ header: NrrdHeader; samples: VolumeArray }> {
  const external = options.allowExternalLinks ?? false;
  const confine = {
    ...(options.root !== undefined ? { root: options.root } : {}),
    allowExternalLinks: external,
  };
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, { ...confine, checkHead: nrrdFileSizeCheck(path) });
  } catch (error) {
    throw new Error(`Cannot read NRRD file ${path}: ${readErrorReason(error)}`, { cause: error });
  }
  let header: NrrdHeader;
  if (path.endsWith(".nhdr")) {
    header = parseNrrdHeader(bytes, path, true);
  } else {
    try {
      header = parseNrrdHeader(bytes, path);
    } catch (error) {
      // A detached header may end at the end of the file, without an empty line.
      let detached: NrrdHeader | undefined;
      try {
        if (isNrrd(bytes)) detached = parseNrrdHeader(bytes, path, true);
      } catch { /* the first error says more */ }
      if (detached?.dataFile === undefined) throw error;
      header = detached;
    }
  }
  if (header.dataFile === undefined) {
    return { header, samples: decodeNrrdSamples(header, bytes, header.headerBytes, path) };
  }
  const dataPath = detachedPath(header, path, external);
  let data: Uint8Array;
  try {
    data = await readRegularFile(dataPath, {
      ...confine,
      ...(confine.root === undefined && !external ? { root: dirname(path) } : {}),
      maxBytes: header.byteSkip === -1
        ? nrrdDataSize(header).bytes + NRRD_SIZE_MARGIN
        : nrrdMaxFileBytes(header, 0),
    });
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? `its detached data file ${dataPath} does not exist`
      : `cannot read its detached data file: ${readErrorReason(error)}`;
    throw new Error(
      `Cannot read NRRD file ${path}: ${reason} (got data file ${show(header.dataFile)})`,
      {
        cause: error,
      },
    );
  }
  return { header, samples: decodeNrrdSamples(header, data, 0, dataPath) };
}
