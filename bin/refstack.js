#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so that a clone works without a build step.
import { register } from 'tsx/esm/api';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
register();
const { run } = await import('../src/cli/main.ts');
await run(process.argv.slice(2));
