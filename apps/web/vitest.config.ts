import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The web app's tests: pure modules and React components in jsdom, beside their source.
export default defineConfig({
  plugins: [react()],
  test: {
    root: import.meta.dirname,
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'jsdom',
    setupFiles: ['./test.setup.ts'],
  },
});
