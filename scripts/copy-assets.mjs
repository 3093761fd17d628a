// The build's second step: tsc emits only .js, so the dashboard's static files are copied next
// to the compiled module that serves them (src/dashboard/assets.ts reads ./assets/).
import { cpSync } from 'node:fs';

cpSync(
  new URL('../src/dashboard/assets/', import.meta.url),
  new URL('../dist/dashboard/assets/', import.meta.url),
  {
    recursive: true,
  },
);
