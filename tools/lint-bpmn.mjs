// npm run lint:bpmn [-- FILE_OR_DIR...]
// Runs bpmnlint (config: <repo>/.bpmnlintrc) over bpmn/*.bpmn or the given files/directories.
// Exits non-zero on an empty file list, on any lint error or warning, and on any
// bpmn-moddle import warning (bpmnlint itself reports those as errors).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, listDiagrams, requireNodeModules } from './bpmn-files.mjs';

requireNodeModules();
const files = listDiagrams(process.argv.slice(2));
console.log(`bpmnlint: ${files.length} file(s)`);

const cli = join(REPO_ROOT, 'node_modules', 'bpmnlint', 'bin', 'bpmnlint.js');
// --max-warnings 0: rules at "warn" level (e.g. no-overlapping-elements) must fail CI too.
const result = spawnSync(
  process.execPath,
  [cli, '--config', join(REPO_ROOT, '.bpmnlintrc'), '--max-warnings', '0', ...files],
  { stdio: 'inherit', cwd: REPO_ROOT },
);
if (result.error) throw result.error;
if (result.status === 0) console.log('bpmnlint: no problems');
process.exit(result.status ?? 1);
