#!/usr/bin/env node
// Entry point of the `nilm` command: registers tsx so the TypeScript sources run as they are
// (no build step between `npm install` and `npx nilm`), then hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
