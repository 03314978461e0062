/** Progress lines go to stderr so that `--json` output on stdout stays machine-readable. */
export function step(message: string): void {
  process.stderr.write(`» ${message}\n`);
}

export function detail(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

export function elapsed(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)} s`;
}
