// npm run render [-- --out DIR] [FILE_OR_DIR...]
// Renders each diagram (default: bpmn/*.bpmn) to DIR/<name>.png (default: docs/diagrams) with
// bpmn-js in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no
// browser is downloaded). Exits 1 if, for any diagram, bpmn-js reports an import error or
// warning, nothing is drawn (no DI), a flow node or sequence flow has no DI, or two
// flow-node shapes overlap. The PNG is still written when only the checks fail, so the
// problem can be looked at.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REPO_ROOT, listDiagrams, parseArgs, requireNodeModules, fail } from './bpmn-files.mjs';

requireNodeModules();
const { chromium } = await import('playwright-core');

const { options, positional } = parseArgs(process.argv.slice(2), ['out']);
const outDir = options.out ?? join(REPO_ROOT, 'docs', 'diagrams');
const files = listDiagrams(positional);
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  fail(`${executablePath} not found: install it with \`apt-get install -y chromium\``);
}
mkdirSync(outDir, { recursive: true });

const dist = join(REPO_ROOT, 'node_modules', 'bpmn-js', 'dist');
const MAX_WIDTH = 2400; // px; wide diagrams are scaled down to this
const MARGIN = 40;

// Runs inside the page: import the XML and collect every problem by element id.
async function importAndCheck(xml) {
  window.viewer?.destroy(); // one page serves all diagrams; each gets a fresh viewer
  const viewer = new window.BpmnJS({ container: '#canvas' });
  window.viewer = viewer;
  const describe = (w) => {
    let e = w.element;
    while (e && !e.id) e = e.$parent; // warnings may sit on id-less children
    return `${w.message.split('\n')[0]}${e ? ` (element ${e.id})` : ''}`;
  };
  let warnings;
  try {
    ({ warnings } = await viewer.importXML(xml));
  } catch (error) {
    return { fatal: `import error: ${error.message}`, problems: (error.warnings || []).map(describe) };
  }
  const problems = warnings.map((w) => `import warning: ${describe(w)}`);
  const registry = viewer.get('elementRegistry');
  const drawn = registry.filter((e) => e.parent && e.type !== 'label');
  if (!drawn.length) return { fatal: 'nothing drawn: the diagram has no DI (bpmndi) for its elements', problems };

  // Every flow node and sequence flow of every process (and sub-process) needs a DI element.
  const visit = (container) => {
    for (const el of container.flowElements || []) {
      if ((el.$instanceOf('bpmn:FlowNode') || el.$instanceOf('bpmn:SequenceFlow')) && !registry.get(el.id)) {
        problems.push(`no DI: ${el.$type} ${el.id}`);
      }
      if (el.flowElements) visit(el);
    }
  };
  for (const root of viewer.getDefinitions().rootElements) {
    if (root.$instanceOf('bpmn:Process')) visit(root);
  }

  // No two flow-node shapes may overlap. Lanes/participants are not flow nodes; a
  // sub-process overlapping its own children and a boundary event on its host are fine.
  const nodes = drawn.filter((e) => !e.waypoints && e.businessObject.$instanceOf('bpmn:FlowNode'));
  const rootOf = (e) => { while (e.parent) e = e.parent; return e; };
  const contains = (a, b) => { for (let p = b.parent; p; p = p.parent) if (p === a) return true; return false; };
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const [a, b] = [nodes[i], nodes[j]];
      if (rootOf(a) !== rootOf(b) || contains(a, b) || contains(b, a) || a.host === b || b.host === a) continue;
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) {
        problems.push(`overlap: ${a.id} and ${b.id}`);
      }
    }
  }
  const { width, height } = viewer.get('canvas').viewbox().inner;
  return { problems, width, height };
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
  timeout: 60_000,
});
let failed = 0;
try {
  const page = await browser.newPage();
  // No network: the page is inline HTML, bpmn-js and its CSS are injected from node_modules.
  await page.setContent('<html><body style="margin:0;background:#fff">'
    + '<div id="canvas" style="width:100vw;height:100vh"></div></body></html>');
  await page.addStyleTag({ path: join(dist, 'assets', 'diagram-js.css') });
  await page.addStyleTag({ path: join(dist, 'assets', 'bpmn-js.css') });
  await page.addScriptTag({ path: join(dist, 'bpmn-viewer.production.min.js') });
  for (const file of files) {
    const name = basename(file, '.bpmn');
    const result = await page.evaluate(importAndCheck, readFileSync(file, 'utf8'));
    for (const p of result.problems) console.error(`${name}: ${p}`);
    if (result.fatal) {
      console.error(`${name}: ${result.fatal}`);
      failed++;
      continue;
    }
    if (result.problems.length) failed++;
    // Size the viewport to the diagram's aspect ratio so fit-viewport gives a sharp image.
    const scale = Math.min(1, MAX_WIDTH / result.width);
    await page.setViewportSize({
      width: Math.ceil(result.width * scale) + 2 * MARGIN,
      height: Math.ceil(result.height * scale) + 2 * MARGIN,
    });
    await page.evaluate(() => {
      const canvas = window.viewer.get('canvas');
      canvas.resized();
      canvas.zoom('fit-viewport', 'auto');
    });
    const out = join(outDir, `${name}.png`);
    await page.screenshot({ path: out });
    console.log(`${name}: ${result.problems.length} problem(s), wrote ${out}`);
  }
} finally {
  await browser.close();
}
if (failed) {
  console.error(`render: ${failed} of ${files.length} diagram(s) failed`);
  process.exit(1);
}
console.log(`render: ${files.length} diagram(s), no problems`);
