import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';

// The dev server proxies the API to a locally running `nilm start` (PORT=18090), so the app
// talks to the server only over HTTP, exactly as it does when the server serves dist/.
const api = 'http://127.0.0.1:18090';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    proxy: { '/api': api, '/live': api, '/ready': api, '/docs': api },
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
});
