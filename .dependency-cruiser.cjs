/**
 * refstack's layers, as rules: an arrow that runs back up fails the unit tests (test/unit/layers.test.ts).
 *   core (src/core) ← monitoring lib (monitoring/lib, monitoring/render) ← services ← stack (src/stack)
 *   ← monitoring (mixin, generate, testing) and scenarios ← chaos (src/chaos) ← environment (src/env) ← CLI; the sample app
 *   imports nothing of the harness (the harness may import its constants).
 */
const ABOVE_CORE = '^(src/(stack|scenarios|chaos|env|cli|testing|bench|load|latency)|services|monitoring|test|load)/';
const ABOVE_SERVICES = '^(src/(stack|scenarios|chaos|env|cli|testing|bench)|monitoring/(testing|generate|mixin|coverage)|test)/';
const layer = (name, from, to, comment) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    layer('core-imports-nothing-above', '^src/core/', ABOVE_CORE, 'src/core is the bottom layer: engine, images, results, targets, polling, specs'),
    layer('core-reads-only-the-app-thresholds', '^src/core/', '^sample-app/(?!src/shared/thresholds[.]ts$)', 'the harness may read the app\'s own thresholds, nothing else of it, from core'),
    layer('monitoring-lib-below-services', '^monitoring/(lib|render)/', '^(src/(stack|scenarios|env|cli|testing|bench)|services|monitoring/(testing|generate|mixin|coverage))', 'rule and dashboard renderers only know core types'),
    layer('services-below-the-stack', '^services/', ABOVE_SERVICES, 'a service folder knows core and the monitoring renderers, never the runtime that runs it'),
    layer('stack-below-scenarios', '^src/stack/', '^(src/(scenarios|chaos|env|cli|testing|bench)|monitoring/(testing|generate|mixin)|test)/', 'the runtime (and its fault library) knows the services, not what runs on it'),
    layer('scenarios-below-the-environment', '^src/scenarios/', '^src/(chaos|env|cli|testing|bench)/', 'a scenario runs the same in a suite, in a drill and in an experiment'),
    layer('chaos-below-the-environment', '^src/chaos/', '^src/(env|cli|testing|bench)/', 'experiments run the same in a suite, behind refstack drill and refstack chaos run'),
    layer('environment-below-the-cli', '^src/env/', '^src/(cli|testing|bench)/', ''),
    layer('load-generator-is-a-library', '^src/(load|latency)/', '^(src/(stack|scenarios|env|cli|testing|bench)|services)/', 'the generator and latency helpers work against any URL'),
    layer('harness-imports-no-app-tests', '^(src|services|monitoring)/', '^sample-app/test/', "the app's tests are not an API of the harness: what both need lives in src/core"),
    {
      name: 'sample-app-imports-no-harness',
      comment: 'the sample app ships alone in its image: nothing outside sample-app/',
      severity: 'error',
      from: { path: '^sample-app/(src|openapi)/' },
      to: { path: '^(?!sample-app/|node_modules/)', pathNot: '^(node:|[a-z@])' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
