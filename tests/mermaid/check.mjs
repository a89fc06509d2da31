// Parse Mermaid diagrams with Mermaid's own parser: `node check.mjs FILE...`.
// Prints one JSON line per file: {"file", "ok", "type"} or {"file", "ok": false, "error"};
// exits 1 when a diagram does not parse. Mermaid's DOMPurify hook needs a window: jsdom gives one.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    const result = await mermaid.parse(readFileSync(file, 'utf8'));
    console.log(JSON.stringify({ file, ok: true, type: result.diagramType }));
  } catch (error) {
    failed = true;
    console.log(JSON.stringify({ file, ok: false, error: String(error.message || error) }));
  }
}
process.exit(failed ? 1 : 0);
