import { stub } from './state.ts';

export function check<T>(value: T, sets: Record<string, (v: T) => boolean>): boolean {
  let all = true;
  for (const fn of Object.values(sets)) {
    const ok = fn(value);
    if (ok) stub().checks.passed += 1;
    else stub().checks.failed += 1;
    all &&= ok;
  }
  return all;
}

export function fail(message?: string): never {
  throw new Error(message);
}

export function sleep(): void {}
