/** Events of a drill, in seconds since it began. */
export class Timeline {
  readonly events: Array<{ at: number; what: string }> = [];
  private readonly t0 = performance.now();

  mark(what: string, at = performance.now()): number {
    this.events.push({ at: this.seconds(at), what });
    this.events.sort((a, b) => a.at - b.at);
    process.stderr.write(`  t+${this.seconds(at).toFixed(2).padStart(6)} s  ${what}\n`);
    return at;
  }

  seconds(at: number): number {
    return Number(((at - this.t0) / 1000).toFixed(2));
  }
}
