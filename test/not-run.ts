/**
 * A test that cannot run on this machine is reported as such: jest lists it as skipped, its name says
 * NOT RUN and why, and the reason is printed when the suite is collected. It never passes by asserting
 * that it could not run.
 */
export function notRun(name: string, reason: string): void {
  console.warn(`${name}: NOT RUN: ${reason}`);
  it.skip(`${name} — NOT RUN: ${reason}`, () => undefined);
}
