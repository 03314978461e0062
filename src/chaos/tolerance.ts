import { PROFILES, promises, type Profile, type Promises, type Severity } from '../core/profiles.ts';
import type { Comparator, Target } from '../core/results/target.ts';
import { targets } from '../core/targets.ts';

/**
 * A tolerance as an experiment file writes it, read against src/core/targets.ts and the profile's promises:
 *   "latency.apiP95Ms"                   a Target of targets.ts as it is (< 200)
 *   "<= latency.errorRate"               a number of targets.ts with a comparison
 *   "<= promise.failoverRtoSeconds"      a promise of the stack's profile (src/core/profiles.ts)
 *   "<= promise.alertDetectionSeconds.high"
 *   "== 0", "< 1.5"                      a plain number
 */
export interface Tolerance {
  /** What the file said. */
  text: string;
  resolve(profile: Profile): Target;
}

const OPS: readonly Comparator[] = ['<=', '>=', '==', '<', '>'];

export function parseTolerance(text: string): Tolerance {
  const trimmed = String(text).trim();
  const op = OPS.find((o) => trimmed.startsWith(o));
  const ref = (op ? trimmed.slice(op.length) : trimmed).trim();
  if (!ref) throw new Error(`tolerance "${text}" names nothing to compare with`);
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(ref)) {
    if (!op) throw new Error(`tolerance "${text}": a plain number needs a comparison, e.g. "<= ${ref}"`);
    const value = Number(ref);
    return { text: trimmed, resolve: () => ({ op, value }) };
  }
  if (ref.startsWith('promise.')) {
    if (!op) throw new Error(`tolerance "${text}": a promise needs a comparison, e.g. "<= ${ref}"`);
    const path = ref.slice('promise.'.length).split('.');
    promiseValue(promises(testProfileForValidation()), path, text);
    return { text: trimmed, resolve: (profile) => ({ op, value: promiseValue(promises(profile), path, text) }) };
  }
  const found = lookup(targets, ref.split('.'));
  if (found === undefined) throw new Error(`tolerance "${text}": ${ref} is not in src/core/targets.ts (areas: ${Object.keys(targets).join(', ')})`);
  if (isTarget(found)) {
    if (op) throw new Error(`tolerance "${text}": ${ref} is already a comparison (${found.op} ${found.value}); write it without "${op}"`);
    return { text: trimmed, resolve: () => found };
  }
  if (typeof found !== 'number') throw new Error(`tolerance "${text}": ${ref} is not a number or a target in src/core/targets.ts`);
  if (!op) throw new Error(`tolerance "${text}": ${ref} is a number (${found}); give a comparison, e.g. "<= ${ref}"`);
  return { text: trimmed, resolve: () => ({ op, value: found }) };
}

function promiseValue(p: Promises, path: string[], text: string): number {
  const value = lookup(p, path);
  if (typeof value !== 'number') throw new Error(`tolerance "${text}": promise.${path.join('.')} is not a promise of src/core/profiles.ts (promises: ${Object.keys(p).join(', ')}; alertDetectionSeconds takes .high, .medium or .low)`);
  return value;
}

function lookup(root: unknown, path: string[]): unknown {
  let at: unknown = root;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !(key in (at as object))) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

const isTarget = (v: unknown): v is Target => typeof v === 'object' && v !== null && 'op' in v && 'value' in v;

/** The test profile's shape is every profile's: promise names are checked against it when a file is read. */
const testProfileForValidation = (): Profile => PROFILES.test;

export const detectionPromise = (profile: Profile, severity: Severity): number => promises(profile).alertDetectionSeconds[severity];
