// Bundle widgets_entry.js (html-manager + its CSS and icon fonts) into one script and one stylesheet.
// Usage: node build_js.mjs OUT_DIR   (run by tools/build_site.py after `npm ci`)
import * as esbuild from 'esbuild';

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: node build_js.mjs OUT_DIR');
await esbuild.build({
  entryPoints: { 'course-widgets': 'widgets_entry.js' },
  outdir,
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  legalComments: 'external',
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  assetNames: 'fonts/[name]-[hash]',
  define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
  logLevel: 'warning',
});
