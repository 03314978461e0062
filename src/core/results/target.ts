/** A target is a comparison against a threshold, written as in results.json: "<= 30", "== 0", "< 200". */
export type Comparator = '<' | '<=' | '==' | '>=' | '>';

export interface Target {
  op: Comparator;
  value: number;
}

export function formatTarget(target: Target): string {
  return `${target.op} ${target.value}`;
}

export function parseTarget(text: string): Target {
  const match = /^\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i.exec(text);
  if (!match) throw new Error(`invalid target "${text}": expected a comparison such as "<= 30" or "== 0"`);
  return { op: match[1] as Comparator, value: Number(match[2]) };
}

export function meets(value: number, target: Target): boolean {
  if (!Number.isFinite(value)) return false;
  switch (target.op) {
    case '<':
      return value < target.value;
    case '<=':
      return value <= target.value;
    case '==':
      return value === target.value;
    case '>=':
      return value >= target.value;
    case '>':
      return value > target.value;
  }
}
