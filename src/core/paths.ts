import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, wherever refstack is run from. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** One folder per service: its Dockerfile, configuration, typed spec, alerts and panels. */
export const SERVICES_DIR = join(ROOT, 'services');
export const REPORTS_DIR = process.env.REFSTACK_REPORTS_DIR ?? join(ROOT, 'reports');
export const STATE_DIR = join(ROOT, '.refstack');
