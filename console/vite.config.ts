import { defineConfig } from 'vite';

/**
 * The console's build: static files under `console/dist/`, served at `/console/` by the
 * local runtime and from S3 behind CloudFront in AWS. JSX is Preact's (no React, no
 * compat layer); no plugin is needed for that, Vite's own transform takes the setting.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Every script a file of its own: the content security policy allows no inline script.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
