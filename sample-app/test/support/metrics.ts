/** The app's tests read /metrics with the harness's reader of the text format (tests only: the app's image ships without them). */
export { sampleSum as metric, scrapeText as scrape } from '../../../src/core/prometheus-text.ts';
