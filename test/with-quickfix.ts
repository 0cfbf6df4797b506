import { quickFixMissing } from '../libs/venues/src/fix/testing/quickfix';
import { notRun } from './not-run';

/**
 * A suite that trades with QuickFIX's acceptors. Without them (QuickFIX not installed) it says NOT
 * RUN and why; in CI, where .ci/run installs and builds them, their absence fails.
 */
export function describeWithQuickFix(title: string, body: () => void): void {
  const missing = quickFixMissing();
  if (!missing) return describe(title, body);
  describe(title, () => {
    if (process.env.CI) it('QuickFIX acceptors are built in CI', () => expect(missing).toBeNull());
    else notRun(title, missing);
  });
}
