import type { FaultParams, FaultVerb } from './verb.ts';

/**
 * A verb's parameters as given (an experiment file, a contract cell), with the verb's defaults filled in
 * and every problem named: an unknown key, a missing value, a number out of range, a string not among the
 * choices. `problems` is empty when the verb can be injected with `params`.
 */
export function resolveParams(verb: FaultVerb, given: Readonly<Record<string, unknown>>): { params: FaultParams; problems: string[] } {
  const problems: string[] = [];
  const params: Record<string, number | string> = {};
  for (const key of Object.keys(given)) if (!(key in verb.params)) problems.push(`${key}: ${verb.verb} takes no such parameter (parameters: ${Object.keys(verb.params).join(', ') || 'none'})`);
  for (const [key, spec] of Object.entries(verb.params)) {
    const raw = given[key] ?? spec.default;
    if (raw === undefined) {
      problems.push(`${key}: missing (${spec.summary}${spec.unit ? `, ${spec.unit}` : ''})`);
      continue;
    }
    if (spec.kind === 'number') {
      if (typeof raw !== 'number' || (spec.min !== undefined && raw < spec.min) || (spec.max !== undefined && raw > spec.max)) {
        problems.push(`${key}: a number${spec.min !== undefined ? ` from ${spec.min}` : ''}${spec.max !== undefined ? ` to ${spec.max}` : ''}${spec.unit ? ` ${spec.unit}` : ''}, not ${JSON.stringify(raw)}`);
      }
    } else if (typeof raw !== 'string' || (spec.choices && !spec.choices.includes(raw))) {
      problems.push(`${key}: ${spec.choices ? `one of ${spec.choices.join(', ')}` : 'a string'}, not ${JSON.stringify(raw)}`);
    }
    params[key] = raw as number | string;
  }
  return { params, problems };
}
