/** Small helpers shared by the components' rule and test definitions. */

/** A threshold as PromQL writes it: rounded to 12 significant digits so 1 - 0.9999 prints 0.0001. */
export function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`num: ${value} is not a finite number`);
  return String(Number(value.toPrecision(12)));
}

/** `name{a="1",b="2"}` for promtool input series. */
export function series(name: string, labels: Record<string, string> = {}): string {
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return inner ? `${name}{${inner}}` : name;
}

/** promtool's expanding notation: a counter growing by `step` for `count` intervals. */
export function counter(step: number, count: number, start = 0): string {
  return `${start}+${step}x${count}`;
}

/** A gauge holding `value` for `count` intervals. */
export function gauge(value: number, count: number): string {
  return `${value}x${count}`;
}

/** Window names used in recording rule names: '5m' → '5m', keeping one rule per distinct window. */
export function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
