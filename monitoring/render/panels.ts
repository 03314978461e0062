import {
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { ThresholdsConfigBuilder, ThresholdsMode } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import type { PanelQuery, PanelSpec } from '../../src/core/monitoring.ts';

/** The provisioned Prometheus data source (see provisioning/datasources). */
export const DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

function queries(specs: PanelQuery[]) {
  return specs.map((q, i) =>
    new DataqueryBuilder()
      .expr(q.expr)
      .legendFormat(q.legend ?? '__auto')
      .refId(String.fromCharCode(65 + i))
      .datasource(DATASOURCE),
  );
}

function thresholdSteps(values: number[]) {
  const colors = ['orange', 'red'];
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps([{ value: null, color: 'green' }, ...values.map((value, i) => ({ value, color: colors[i] ?? 'red' }))]);
}

export function buildPanel(spec: PanelSpec) {
  if (spec.kind === 'stat') {
    const panel = new StatPanelBuilder()
      .title(spec.title)
      .description(spec.description)
      .unit(spec.unit)
      .datasource(DATASOURCE)
      .targets(queries(spec.queries))
      .height(6)
      .span(spec.width ?? 6);
    return spec.thresholds ? panel.thresholds(thresholdSteps(spec.thresholds)) : panel;
  }
  const panel = new TimeseriesPanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .unit(spec.unit)
    .datasource(DATASOURCE)
    .targets(queries(spec.queries))
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
    .height(8)
    .span(spec.width ?? 12);
  return spec.thresholds
    ? panel.thresholds(thresholdSteps(spec.thresholds)).thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Line))
    : panel;
}
