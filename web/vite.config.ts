// Builds the lineage explorer to web/dist; the gateway serves it on / (src/transport/web-app.ts).
// `npm run dev:web` serves it with hot reload and proxies /graphql (HTTP and WebSocket) to a
// gateway on localhost:4000.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  worker: { format: 'es' },
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true } } },
});
