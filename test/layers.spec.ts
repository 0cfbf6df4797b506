import { lintAs } from './lint';

/** The lint rule that keeps the layers apart (ARCHITECTURE §2) must keep firing, however an import is spelled. */
function lint(filename: string, code: string): string[] {
  return lintAs(filename, code)
    .filter((m) => m.ruleId === 'oms/layers')
    .map((m) => m.message);
}

describe('import directions between libraries and apps', () => {
  it('a library importing an app is refused, by alias or by relative path', () => {
    expect(lint('libs/venues/src/probe.ts', "export { a } from '@oms/api';\n")).toEqual([
      expect.stringContaining('libraries never import apps'),
    ]);
    expect(
      lint(
        'libs/application/src/orders/probe.ts',
        "import { b } from '../../../../apps/gateway/src';\nexport const c = b;\n",
      ),
    ).toEqual([expect.stringContaining('libraries never import apps (apps/gateway)')]);
  });

  it('an app importing another app is refused; apps meet only in the composition root', () => {
    expect(
      lint('apps/gateway/src/probe.ts', "import { a } from '@oms/projector';\nexport const b = a;\n"),
    ).toEqual([expect.stringContaining('apps/gateway may not import apps/projector')]);
    expect(lint('apps/api/src/graphql/probe.ts', "import('../../../gateway/src');\n")).toEqual([
      expect.stringContaining('apps/api may not import apps/gateway'),
    ]);
  });

  it('accepts what the layers allow: apps and libraries on libraries, the root on anything', () => {
    expect(
      lint('apps/api/src/probe.ts', "import { a } from '@oms/application';\nexport const b = a;\n"),
    ).toEqual([]);
    expect(
      lint('libs/venues/src/probe.ts', "import { a } from '@oms/platform';\nexport const b = a;\n"),
    ).toEqual([]);
    expect(
      lint(
        'apps/oms/src/probe.ts',
        "import { a } from '@oms/gateway';\nimport { b } from '@oms/api';\nexport const c = [a, b];\n",
      ),
    ).toEqual([]);
  });
});
