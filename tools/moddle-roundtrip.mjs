// npm run roundtrip:bpmn -- --out DIR [FILE_OR_DIR...]
// Imports each diagram with bpmn-moddle (the model layer of bpmn.io / Camunda Modeler) and
// writes what a modeler would save (toXML, formatted) to DIR/<name>.bpmn. Exits 1 if any
// import reports a warning: moddle silently drops what it warns about on save (e.g. a
// multi-instance loopDataInputRef naming a plain task-data variable is an "unresolved
// reference" and is missing from the saved file), so a warning means an edit in a modeler
// would change what the engine executes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, isAbsolute } from 'node:path';
import { listDiagrams, parseArgs, requireNodeModules, fail } from './bpmn-files.mjs';

requireNodeModules();
const { BpmnModdle } = await import('bpmn-moddle');

const { options, positional } = parseArgs(process.argv.slice(2), ['out']);
if (!options.out) fail('--out DIR is required');
const files = listDiagrams(positional);
const names = files.map((f) => basename(f));
const clash = names.find((n, i) => names.indexOf(n) !== i);
if (clash) fail(`two input files are named ${clash}: they would overwrite each other in --out`);
mkdirSync(options.out, { recursive: true });

// Paths under the current directory are shown relative, others absolute.
function display(file) {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

// Nearest id for a warning: an unresolved ref sits on an element that may have no id
// (e.g. multiInstanceLoopCharacteristics), so walk up to the enclosing task.
function ownerId(element) {
  for (let e = element; e; e = e.$parent) if (e.id) return e.id;
  return undefined;
}

// Line of a warning: moddle puts it in the message for parse problems; for unresolved
// references, look for the first line that holds both the property name and the value.
function lineOf(warning, lines) {
  const inMessage = /line: (\d+)/.exec(warning.message);
  if (inMessage) return Number(inMessage[1]);
  if (warning.property && warning.value !== undefined) {
    const local = warning.property.split(':').pop();
    const index = lines.findIndex((l) => l.includes(local) && l.includes(warning.value));
    if (index >= 0) return index + 1;
  }
  return undefined;
}

let failed = 0;
for (const file of files) {
  const name = display(file);
  const xml = readFileSync(file, 'utf8');
  const lines = xml.split('\n');
  const moddle = new BpmnModdle();
  let rootElement, warnings;
  try {
    ({ rootElement, warnings } = await moddle.fromXML(xml));
  } catch (error) {
    console.error(`${name}: ERROR cannot import: ${error.message}`);
    failed++;
    continue;
  }
  for (const w of warnings) {
    const where = [
      ownerId(w.element) && `element ${ownerId(w.element)}`,
      w.property && `property ${w.property}`,
      lineOf(w, lines) && `line ${lineOf(w, lines)}`,
    ].filter(Boolean).join(', ');
    console.error(`${name}: WARNING ${w.message.split('\n')[0]}${where ? ` (${where})` : ''}`);
  }
  if (warnings.length) failed++;
  const { xml: saved } = await moddle.toXML(rootElement, { format: true });
  writeFileSync(join(options.out, basename(file)), saved);
  console.log(`${name}: ${warnings.length} warning(s), saved to ${join(options.out, basename(file))}`);
}
if (failed) {
  console.error(`moddle round trip: ${failed} of ${files.length} file(s) with warnings or errors`);
  process.exit(1);
}
console.log(`moddle round trip: ${files.length} file(s), no warnings`);
