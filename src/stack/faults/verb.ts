import type { StackInstance } from '../docker/instance.ts';
import type { RunningStack } from '../docker/stack.ts';

/** One parameter of a fault verb, as an experiment file gives it (validated before anything runs). */
export interface ParamSpec {
  kind: 'number' | 'string';
  summary: string;
  unit?: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** Absent: the experiment must give it. */
  default?: number | string;
}

export type FaultParams = Readonly<Record<string, number | string>>;

/** A fault in place: what was done, and how to take it back. */
export interface Injected {
  detail: string;
  undo(): Promise<void>;
  /** Figures the fault itself measured (an OOM kill seen, bytes written), read after the undo. */
  figures?(): Promise<Array<{ name: string; value: number; unit: string; note?: string }>>;
}

/**
 * A fault verb: injected on the run's own instances, always reversible, bounded in time. `maxSeconds`
 * is the longest an experiment may hold it; where the fault can end itself inside the container
 * (timeout(1), a helper's sleep), it is armed with that bound too, so a killed harness leaves no fault behind.
 */
export interface FaultVerb {
  verb: string;
  /** How the fault is undone, in one line (the fault library table in chaos/README.md). */
  undo: string;
  maxSeconds: number;
  params: Readonly<Record<string, ParamSpec>>;
  /** Services whose instances it applies to; undefined: every container (src/core/spec.ts CONTAINER_FAULTS). */
  services?: readonly string[];
  /** Stack options it needs, key → value (`postgres.faketime=on`), checked before anything runs. */
  needsOptions?: Readonly<Record<string, string>>;
  /** Names of the figures its `figures()` reports (an experiment may give them tolerances). */
  figures?: readonly string[];
  /** `group`: one injection over all targets at once (a zone); default: the same fault on each target. */
  group?: boolean;
  inject(stack: RunningStack, targets: StackInstance[], params: FaultParams, holdSeconds: number): Promise<Injected>;
}

export const num = (params: FaultParams, name: string): number => {
  const value = params[name];
  if (typeof value !== 'number') throw new Error(`parameter ${name} must be a number, is ${JSON.stringify(value)}`);
  return value;
};

export const str = (params: FaultParams, name: string): string => {
  const value = params[name];
  if (typeof value !== 'string') throw new Error(`parameter ${name} must be a string, is ${JSON.stringify(value)}`);
  return value;
};

/** Runs every target's injection; if one fails, the ones already injected are undone before the error propagates. */
export async function onEach(targets: StackInstance[], inject: (t: StackInstance) => Promise<Injected>): Promise<Injected> {
  const done: Injected[] = [];
  try {
    for (const t of targets) done.push(await inject(t));
  } catch (error) {
    for (const d of done.reverse()) await d.undo().catch(() => undefined);
    throw error;
  }
  return {
    detail: done.map((d) => d.detail).join('; '),
    async undo() {
      const errors: string[] = [];
      for (const d of [...done].reverse()) await d.undo().catch((e: Error) => errors.push(e.message));
      if (errors.length) throw new Error(errors.join('; '));
    },
    async figures() {
      return (await Promise.all(done.map((d) => d.figures?.() ?? []))).flat();
    },
  };
}

/** A root shell command in the container; its stdout, or an error naming the instance and the output. */
export const rootSh = (t: StackInstance, script: string, timeoutMs = 30_000) => t.sh(script, { user: 'root', timeoutMs });
