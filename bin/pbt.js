#!/usr/bin/env node
// Entry point of the `pbt` command. tsx is registered so that user task modules written in
// TypeScript load directly. A git checkout runs the sources; a published package (no src/)
// runs the compiled dist/.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const source = new URL('../src/main.ts', import.meta.url);
const entry = existsSync(source) ? source : new URL('../dist/main.js', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
