import { existsSync } from 'fs';
import { isAbsolute, resolve } from 'path';
import { StrategyFactory } from '../strategy';
import { marketMaker } from './market-maker';
import { twap } from './twap';

export { StrategyParamError } from './params';

/** The strategies that come with the OMS, by the name `--strategy` takes. */
export const BUILTIN_STRATEGIES: Readonly<Record<string, StrategyFactory>> = {
  twap,
  'market-maker': marketMaker,
};

export class StrategyLoadError extends Error {}

/**
 * A built-in strategy by name, or a user's module by path (`.ts` runs without a build step: it is
 * transpiled on load). The module's default export, or its `createStrategy` export, is the factory.
 */
export async function loadStrategy(nameOrPath: string): Promise<{ name: string; factory: StrategyFactory }> {
  const builtin = BUILTIN_STRATEGIES[nameOrPath];
  if (builtin) return { name: nameOrPath, factory: builtin };
  const path = isAbsolute(nameOrPath) ? nameOrPath : resolve(process.cwd(), nameOrPath);
  if (!/\.(ts|js|cjs)$/.test(path) || !existsSync(path))
    throw new StrategyLoadError(
      `--strategy ${nameOrPath}: not a built-in strategy (${Object.keys(BUILTIN_STRATEGIES).join(', ')}) nor a .ts or .js file that exists.`,
    );
  if (path.endsWith('.ts')) registerTypeScript();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(path) as { default?: unknown; createStrategy?: unknown };
  const factory = loaded.createStrategy ?? loaded.default;
  if (typeof factory !== 'function')
    throw new StrategyLoadError(
      `${nameOrPath}: its default export (or createStrategy) must be a function that returns a strategy.`,
    );
  return { name: path, factory: factory as StrategyFactory };
}

/** `.ts` files transpile on require (types are not checked: a strategy imports only types from us). */
function registerTypeScript(): void {
  // Already registered when the runner itself runs under ts-node or jest.
  if (require.extensions['.ts']) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('ts-node') as typeof import('ts-node')).register({
    transpileOnly: true,
    compilerOptions: { module: 'commonjs', target: 'ES2022', esModuleInterop: true },
  });
}
