import { describe, inject } from 'vitest';

/**
 * `describe` for suites that need the Docker engine. Without an engine the integration project's
 * global set-up fails the run with the fix; with REFSTACK_ALLOW_SKIP=1 these suites show as skipped.
 */
export const describeWithDocker = describe.skipIf(Boolean(inject('refstackSkipReason')));
