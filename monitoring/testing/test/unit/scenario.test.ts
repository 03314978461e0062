import { describe, expect, it } from 'vitest';
import { allAlertRules } from '../../../mixin.ts';
import { profile, promises } from '../../../../src/core/profiles.ts';
import { detectionPromise, longestWindowSeconds } from '../../scenario.ts';

describe('the detection time an alert is judged by', () => {
  const test = profile('test');
  const rules = new Map(allAlertRules(test.monitoring).map((r) => [r.alert, r]));

  it('reads the longest window of an expression from range selectors and recording-rule names', () => {
    expect(longestWindowSeconds('rate(x[5m]) > 1')).toBe(300);
    expect(longestWindowSeconds('service:slo_latency_slow:ratio_rate10s > 0.05 and service:slo_requests:rate5s > 0')).toBe(10);
    expect(longestWindowSeconds('up == 0')).toBe(0);
  });

  it("is the profile's promise for the severity, stretched only for alerts reading windows longer than the rate window", () => {
    expect(detectionPromise(rules.get('ApiDown')!, test)).toBe(promises(test).alertDetectionSeconds.high);
    expect(detectionPromise(rules.get('SampleApiScrapeDown')!, test)).toBe(promises(test).alertDetectionSeconds.high);
    expect(detectionPromise(rules.get('ApiLatencyBurnRateTicket')!, test)).toBe(promises(test).alertDetectionSeconds.medium + 5);
  });
});
