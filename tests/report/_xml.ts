/**
 * A small well-formedness check for the report's SVG and HTML fragments in tests: tags nest
 * and close, attributes are quoted, entities are known.
 * @module
 */

const VOID_HTML = new Set(["meta", "img", "br", "hr", "link", "input"]);

/**
 * Throws unless `text` is well-formed markup: every non-void element closed in order,
 * attribute values double-quoted, `&` only in `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#…;`.
 * @param html Allow HTML void elements (`<img>`, `<br>`, …) and a doctype.
 */
export function assertWellFormed(text: string, html = false): void {
  const stack: string[] = [];
  const tag =
    /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|<!DOCTYPE html>|<!--[\s\S]*?-->/g;
  let last = 0;
  for (const m of text.matchAll(tag)) {
    checkText(text.slice(last, m.index));
    last = m.index! + m[0].length;
    if (m[0].startsWith("<!")) {
      if (!html && m[0].startsWith("<!DOCTYPE")) throw new Error("Cannot accept a doctype in SVG");
      continue;
    }
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`Cannot close <${name}>: open element is <${open}>`);
    } else if (!selfClosing && !(html && VOID_HTML.has(name!))) stack.push(name!);
  }
  checkText(text.slice(last));
  if (stack.length > 0) throw new Error(`Cannot end the document: unclosed <${stack.join("> <")}>`);
}

function checkText(t: string): void {
  if (t.includes("<") || t.includes(">")) {
    throw new Error(
      `Cannot parse markup: stray angle bracket or unquoted attribute near ${
        JSON.stringify(t.slice(0, 80))
      }`,
    );
  }
  for (const m of t.matchAll(/&([^;\s]*);?/g)) {
    if (!/^(amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+)$/.test(m[1]!) || !m[0].endsWith(";")) {
      throw new Error(`Cannot parse markup: bad entity ${JSON.stringify(m[0])}`);
    }
  }
}
