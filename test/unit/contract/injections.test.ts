import { describe, expect, it } from 'vitest';
import { INJECTIONS, isInjection } from '../../../src/contract/injections.ts';
import { faultVerb, FAULT_VERBS } from '../../../src/stack/faults/index.ts';
import { resolveParams } from '../../../src/stack/faults/params.ts';

describe("the fault matrix's injections (src/contract/injections.ts)", () => {
  it("every runnable cell names a verb of the fault library with parameters it accepts, and a hold within the verb's bound", () => {
    const cells = Object.entries(INJECTIONS).flatMap(([dependency, byFault]) => Object.entries(byFault).map(([fault, x]) => ({ id: `${dependency}/${fault}`, x })));
    const runnable = cells.filter((c) => isInjection(c.x));
    expect(runnable.length).toBeGreaterThan(10);
    for (const { id, x } of runnable) {
      if (!isInjection(x)) continue;
      const verb = faultVerb(x.verb);
      expect(resolveParams(verb, x.params).problems, id).toEqual([]);
      expect(x.seconds, id).toBeLessThanOrEqual(verb.maxSeconds);
    }
  });

  it('resolveParams fills defaults and names each bad parameter', () => {
    const latency = FAULT_VERBS.find((v) => v.verb === 'latency')!;
    expect(resolveParams(latency, { route: 'postgres-write', latency: 100 }).params).toMatchObject({ route: 'postgres-write', latency: 100, jitter: 0, toxicity: 1 });
    const { problems } = resolveParams(latency, { route: 'nowhere', latency: -1, extra: 1 });
    expect(problems.join('\n')).toMatch(/extra: latency takes no such parameter/);
    expect(problems.join('\n')).toMatch(/route: one of postgres-write/);
    expect(problems.join('\n')).toMatch(/latency: a number from 0 to 60000 ms, not -1/);
    expect(resolveParams(latency, {}).problems.join('\n')).toMatch(/route: missing/);
  });
});
