import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The bundle goes where Django's staticfiles finds it (dashboard_ui/static/dashboard_ui/);
// Django reads manifest.json to write the hashed <script>/<link> tags.
const DJANGO = 'http://127.0.0.1:8000';
const outDir = fileURLToPath(new URL('../static/dashboard_ui', import.meta.url));

export default defineConfig(({ command }) => ({
  plugins: [react()],
  base: command === 'build' ? '/static/dashboard_ui/' : '/',
  build: {
    outDir,
    emptyOutDir: true,
    // Not the default .vite/manifest.json: collectstatic skips dot-folders.
    manifest: 'manifest.json',
    target: 'es2020',
    sourcemap: false,
    rollupOptions: { input: fileURLToPath(new URL('src/main.jsx', import.meta.url)) },
  },
  server: {
    // `npm run dev` next to `manage.py runserver`: the API stays same-origin for the session cookie.
    proxy: {
      ...Object.fromEntries(['/api', '/admin', '/health', '/static/admin'].map((path) => [path, DJANGO])),
      // Django's own shell, fetched once by src/main.jsx for its CSRF cookie.
      '/__django/': { target: DJANGO, rewrite: () => '/' },
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.{js,jsx}'],
  },
}));
