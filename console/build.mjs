// npm run build:console [-- --out DIR]
// Builds the web console (console/src) into DIR (default api/console_dist, committed and
// served by `lkj serve`): index.html, sections.json (the first path segments of the
// console's pages, for the server) and assets/ with content-hashed names. The same
// sources and lockfile give the same bytes, which tests/browser/test_console_build.py
// checks by building again into a temporary folder. Prints each file's size (and gzip).
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { sections } from './src/paths.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outDir = outIndex >= 0 ? args[outIndex + 1] : join(ROOT, 'api', 'console_dist');
const quiet = args.includes('--quiet');
const assets = join(outDir, 'assets');

// The form library's Markdown renderer, used by no form of ours, replaced by plain text.
const plainMarkdown = {
  name: 'plain-markdown',
  setup(build) {
    build.onResolve({ filter: /^markdown-to-jsx(\/react)?$/ }, () => ({ path: join(HERE, 'src', 'forms', 'plainMarkdown.js') }));
  },
};

rmSync(outDir, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: { app: 'console/src/main.jsx', favicon: 'console/src/favicon.svg' },
  outdir: assets,
  bundle: true,
  splitting: true, // the form library and the diagram viewer load with the pages using them
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  legalComments: 'eof',
  charset: 'utf8',
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // The form library is written for React; Preact's compatibility layer stands in for it.
  alias: { react: 'preact/compat', 'react-dom': 'preact/compat', 'react/jsx-runtime': 'preact/jsx-runtime' },
  loader: { '.svg': 'file', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file' },
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [plainMarkdown],
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
const appJs = outputs.find(([file, o]) => o.entryPoint === 'console/src/main.jsx' && file.endsWith('.js'));
const appCss = appJs?.[1].cssBundle;
const favicon = outputs.find(([file]) => basename(file).startsWith('favicon-') && file.endsWith('.svg'));
if (!appJs || !appCss || !favicon) throw new Error('build: the app script, its stylesheet or the icon is missing');
const url = (file) => `/assets/${basename(file)}`;
const html = readFileSync(join(HERE, 'index.html'), 'utf8')
  .replace('{{js}}', url(appJs[0]))
  .replace('{{css}}', url(appCss))
  .replace('{{favicon}}', url(favicon[0]));
writeFileSync(join(outDir, 'index.html'), html);
writeFileSync(join(outDir, 'sections.json'), `${JSON.stringify(sections())}\n`);
// favicon.js: the empty script esbuild makes for the icon entry point
for (const [file] of outputs) {
  if (basename(file).startsWith('favicon-') && file.endsWith('.js')) rmSync(join(ROOT, file));
}

if (!quiet) {
  let total = 0;
  let totalGzip = 0;
  for (const name of readdirSync(assets).sort()) {
    const bytes = readFileSync(join(assets, name));
    const gz = gzipSync(bytes, { level: 9 }).length;
    total += bytes.length;
    totalGzip += gz;
    console.log(`${relative(ROOT, join(assets, name)).padEnd(52)} ${String(bytes.length).padStart(8)} B  gzip ${String(gz).padStart(7)} B`);
  }
  console.log(`${'total'.padEnd(52)} ${String(total).padStart(8)} B  gzip ${String(totalGzip).padStart(7)} B`);
}
