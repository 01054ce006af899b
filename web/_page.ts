/**
 * The static part of the exported page: `index.html` and `grn_web.css`. The page's behaviour is
 * in `_browser_main.ts` (bundled into `grn_web.js`).
 * @module
 */

/**
 * Content Security Policy of the page (also sent by `serveWeb`): scripts, workers, styles and
 * fetches only from the page's own origin, WebAssembly compilation allowed, nothing else; so
 * the browser itself refuses any request to another host.
 */
export const PAGE_CSP: string = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/** `index.html` of an exported folder. */
export const PAGE_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">
<link rel="icon" href="data:,">
<title>grn: tissue layers of a lumbar ultrasound scan</title>
<link rel="stylesheet" href="grn_web.css">
<script type="module" src="grn_web.js"></script>
</head>
<body>
<header>
  <h1>Tissue layers of a lumbar ultrasound scan</h1>
  <p id="model">Loading the model&hellip;</p>
  <p class="privacy" id="privacy"><strong>Your scan stays on this machine.</strong>
  The network runs inside this page. Once the page has loaded it makes no network request:
  the scan you drop is read and segmented here and is never uploaded.</p>
</header>
<main>
  <section id="input">
    <div id="drop" tabindex="0">
      <p>Drop a 3-D B-mode scan here: a <code>.nii</code> or <code>.nii.gz</code> file, or a
      PNG stack (all its <code>.png</code> slices at once, or their folder, with its
      <code>spacing.json</code> if it has one)</p>
      <p>or <label for="file" class="button">choose files</label>
      <input id="file" type="file" multiple accept=".nii,.gz,.png,.json,application/gzip,image/png,application/json"></p>
      <p class="muted">A PNG stack is read as <code>grn</code> reads a folder of slices: 8- or
      16-bit grayscale PNGs of one size, in natural order of their names (<code>s2.png</code>
      before <code>s10.png</code>), columns along x, slices along y, rows along z (depth), unless
      <code>spacing.json</code> gives another <code>stackAxis</code>.</p>
    </div>
    <form id="spacing-form" hidden>
      <p id="spacing-message"></p>
      <label>x (columns) <input id="spacing-x" type="number" min="0" step="any" inputmode="decimal" aria-label="spacing along x in mm"> mm</label>
      <label>y (slices) <input id="spacing-y" type="number" min="0" step="any" inputmode="decimal" aria-label="spacing along y in mm"> mm</label>
      <label>z (rows, depth) <input id="spacing-z" type="number" min="0" step="any" inputmode="decimal" aria-label="spacing along z in mm"> mm</label>
      <button type="submit" id="spacing-submit">Segment with this spacing</button>
    </form>
    <div id="status">
      <progress id="progress" max="1" value="0"></progress>
      <span id="status-text">Starting&hellip;</span>
    </div>
    <div id="error" role="alert" hidden></div>
    <p id="backend" class="muted"></p>
  </section>
  <section id="result" hidden>
    <p id="scan-info" class="muted"></p>
    <div id="controls">
      <label>Segmentation
        <select id="path">
          <option value="plain">S(x)</option>
          <option value="sge">S(G(x)), with SGE</option>
        </select>
      </label>
      <label>Overlay opacity <input id="opacity" type="range" min="0" max="1" step="0.05" value="0.45"></label>
      <label id="show-g-label"><input type="checkbox" id="show-g" checked> G(x) beside the B-mode</label>
    </div>
    <div id="views"></div>
    <div id="legend" aria-label="legend"></div>
    <h2>Layer read-out <span id="readout-path" class="muted"></span></h2>
    <table id="readout"></table>
    <p class="muted">Thickness: voxels of the layer in each depth column times the depth spacing,
    over the columns where it is present (as <code>grn predict --readout</code>). Echogenicity:
    mean and SD of the scan's intensity inside the layer.</p>
    <div id="downloads">
      <button id="download-labels" type="button">Download labels (.nii.gz)</button>
      <button id="download-csv" type="button">Download read-out (.csv)</button>
    </div>
  </section>
  <section id="about">
    <h2>Model</h2>
    <dl id="provenance"></dl>
  </section>
</main>
</body>
</html>
`;

/** `grn_web.css` of an exported folder. */
export const PAGE_CSS: string = `:root {
  color-scheme: light;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --accent: #0072b2;
  --muted: #555;
}
body { margin: 0 auto; max-width: 1280px; padding: 0 1.25rem 3rem; color: #1a1a1a; }
header h1 { font-size: 1.5rem; margin: 1.2rem 0 0.3rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 0.5rem; }
.muted { color: var(--muted); font-size: 0.9rem; }
.privacy { background: #eef6ee; border-left: 4px solid #009e73; padding: 0.5rem 0.75rem; margin: 0.6rem 0; }
#drop { border: 2px dashed #999; border-radius: 8px; padding: 1rem; text-align: center; }
#drop.over { border-color: var(--accent); background: #eef4fa; }
#drop p { margin: 0.3rem 0; }
#file { display: none; }
.button, button { display: inline-block; background: var(--accent); color: white; border: 0; border-radius: 5px;
  padding: 0.35rem 0.8rem; cursor: pointer; font: inherit; }
button:disabled { background: #999; cursor: default; }
#status { display: flex; align-items: center; gap: 0.75rem; margin: 0.7rem 0; }
#progress { width: 320px; height: 14px; }
#spacing-form { background: #fff8e5; border-left: 4px solid #e69f00; padding: 0.5rem 0.75rem; margin: 0.6rem 0;
  display: flex; flex-wrap: wrap; gap: 0.5rem 1.2rem; align-items: center; }
#spacing-form[hidden] { display: none; }
#spacing-form p { flex-basis: 100%; margin: 0 0 0.3rem; }
#spacing-form input { width: 6rem; }
#error { background: #fdecea; border-left: 4px solid #d55e00; padding: 0.5rem 0.75rem; white-space: pre-wrap; }
#controls { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: center; margin: 0.8rem 0; }
#views { display: flex; flex-wrap: wrap; gap: 1rem; }
.view { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem; }
.view h3 { font-size: 0.95rem; margin: 0 0 0.3rem; }
.view .pair { display: flex; gap: 0.4rem; align-items: flex-start; }
.view figure { margin: 0; }
.view figcaption { font-size: 0.8rem; color: var(--muted); text-align: center; }
.view canvas { image-rendering: pixelated; background: black; cursor: crosshair; display: block; }
.view input[type=range] { width: 100%; }
#legend { display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; margin: 0.8rem 0; }
#legend span.swatch { display: inline-block; width: 0.9rem; height: 0.9rem; border-radius: 2px;
  vertical-align: -0.1rem; margin-right: 0.35rem; border: 1px solid #0003; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
#downloads { display: flex; gap: 0.75rem; margin: 0.8rem 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; font-size: 0.9rem; }
dt { color: var(--muted); }
dd { margin: 0; }
`;
