// Shared helpers for the diagram tools: which .bpmn files to work on, and where the repo is.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

// Each argument is a .bpmn file or a directory (expanded to its *.bpmn, not recursive).
// No argument means <repo>/bpmn. An empty result is an error: bpmnlint and friends
// happily "pass" on zero files, which would hide a missing or misplaced bpmn/ folder.
export function listDiagrams(args) {
  const inputs = args.length ? args : [join(REPO_ROOT, 'bpmn')];
  const files = [];
  for (const input of inputs) {
    const path = resolve(input);
    if (!existsSync(path)) fail(`no such file or directory: ${input}`);
    if (statSync(path).isDirectory()) {
      files.push(...readdirSync(path).filter((n) => n.endsWith('.bpmn')).sort().map((n) => join(path, n)));
    } else {
      files.push(path);
    }
  }
  if (!files.length) fail(`no .bpmn files found in: ${inputs.join(', ')}`);
  return files;
}

// Split "--name value" options from positional arguments (no dependency for this).
export function parseArgs(argv, optionNames) {
  const options = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (argv[i].startsWith('--') && optionNames.includes(name)) {
      if (i + 1 >= argv.length) fail(`option --${name} needs a value`);
      options[name] = argv[++i];
    } else if (argv[i].startsWith('--')) {
      fail(`unknown option ${argv[i]}`);
    } else {
      positional.push(argv[i]);
    }
  }
  return { options, positional };
}

export function requireNodeModules() {
  if (!existsSync(join(REPO_ROOT, 'node_modules'))) {
    fail('node_modules/ is missing: run `npm ci` in the repository root first');
  }
}

export function fail(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}
