import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { jsonForHtml, type ExperimentSnapshot } from './wire.js';

/**
 * The dashboard page: one HTML file with the client bundle (our code, uPlot, d3-hierarchy) and
 * its CSS inlined, so it needs no network. Live, it reads the server's JSON API and event stream;
 * as a report (`pbt report`), the experiment's data is inlined and the same code draws it.
 */

export interface ClientBundle {
  readonly js: string;
  readonly css: string;
}

let bundled: Promise<ClientBundle> | null = null;

/** Bundles the client once per process (esbuild, ~0.2 s). */
export function clientBundle(): Promise<ClientBundle> {
  bundled ??= bundleClient().catch((err: unknown) => {
    bundled = null;
    throw err;
  });
  return bundled;
}

async function bundleClient(): Promise<ClientBundle> {
  // Source (tsx, tests) or compiled (dist) alike: the entry sits next to this module.
  const ts = fileURLToPath(new URL('./client/main.ts', import.meta.url));
  const entry = existsSync(ts) ? ts : fileURLToPath(new URL('./client/main.js', import.meta.url));
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: process.env.PBT_PROFILE_UNMINIFIED === undefined,
    write: false,
    outdir: 'out',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const text = (ext: string): string =>
    out.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { js: text('.js'), css: text('.css') };
}

export type PageMode =
  | { readonly kind: 'live' }
  | {
      readonly kind: 'report';
      readonly snapshot: ExperimentSnapshot;
      readonly generatedAt: number;
    };

/** The page's HTML. Data and code sit in script elements that no user string can close. */
export function renderPage(bundle: ClientBundle, mode: PageMode, title: string): string {
  const data =
    mode.kind === 'report'
      ? `<script type="application/json" id="pbt-data">${jsonForHtml({
          snapshot: mode.snapshot,
          generatedAt: mode.generatedAt,
        })}</script>\n`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${bundle.css.replace(/<\/style/gi, '<\\/style')}</style>
</head>
<body data-mode="${mode.kind}">
<div id="app"><p class="loading">Loading…</p></div>
${data}<script>${bundle.js.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
