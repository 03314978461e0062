import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** One hour, in microseconds: the longest latency a load run can observe (timeouts cap it far lower). */
const HIGHEST_MICROS = 3_600_000_000;

/** An HdrHistogram of milliseconds, stored as whole microseconds (3 significant digits). */
export class LatencyHistogram {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_MICROS,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });

  get count(): number {
    return this.histogram.totalCount;
  }

  recordMs(ms: number): void {
    const micros = Math.round(ms * 1000);
    this.histogram.recordValue(Math.min(HIGHEST_MICROS, Math.max(1, micros)));
  }

  percentileMs(percentile: number): number {
    if (this.histogram.totalCount === 0) return 0;
    return this.histogram.getValueAtPercentile(percentile) / 1000;
  }

  summary(): LatencySummary {
    return {
      p50: this.percentileMs(50),
      p90: this.percentileMs(90),
      p95: this.percentileMs(95),
      p99: this.percentileMs(99),
      max: this.histogram.totalCount === 0 ? 0 : this.histogram.maxValue / 1000,
    };
  }

  destroy(): void {
    this.histogram.destroy();
  }
}
