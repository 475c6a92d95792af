import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is served by AMSS itself at `/` (the API under /api/v1). `npm run dev:web` serves it
// with hot reload on :5173 and proxies the API, the WebSocket and the docs to an `amss dev` on :8080.
const api = process.env.AMSS_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // bench/console.ts reads it to measure each route's initial JavaScript.
    manifest: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    port: 5173,
    proxy: {
      '/api/v1/ws': { target: api.replace(/^http/, 'ws'), ws: true },
      '/api': api,
      '/openapi.json': api,
      '/docs': api,
    },
  },
});
