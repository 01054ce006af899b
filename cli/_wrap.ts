/**
 * Word wrapping for help texts.
 * @module
 */

/**
 * Wraps `text` at `width` columns. The first line starts with `first`, the others with
 * `indent`; words longer than a line stay whole.
 */
export function wrapText(text: string, width: number, first = "", indent = first): string {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += (empty ? "" : " ") + word;
    empty = false;
  }
  lines.push(line);
  return lines.join("\n");
}
