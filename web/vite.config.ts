// Vite builds the storefront into dist/: index.html plus content-hashed files under assets/,
// which the ingress serves with a year-long immutable cache (index.html itself: no-cache).
// Preact's JSX runs through esbuild's automatic runtime: no Babel, no plugin.
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: {
    jsx: 'automatic',
    jsxImportSource: 'preact',
  },
  build: {
    target: 'es2020',
    outDir: 'dist',
    assetsDir: 'assets',
    // The Content-Security-Policy allows scripts from the app's own origin only: no inline
    // module-preload polyfill, no inlined assets as data: URLs for scripts.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` against a stack started by scripts/run.sh (same origin for the cookie).
    proxy: { '/api': 'http://localhost:8080' },
  },
});
