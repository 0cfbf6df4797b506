// @ts-check
/**
 * The import directions of ARCHITECTURE §2, as one ESLint rule: libraries never import apps; an app
 * imports libraries and itself only; the composition root (apps/oms) may import every app; tests at
 * the top level and benchmarks may import anything. Imports are resolved to the folder they land in,
 * whether written with an `@oms/…` alias or as a relative path, so no path spelling gets around it.
 */
import { dirname, relative, resolve } from 'path';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');

/** `@oms/<name>` aliases and the folders they stand for. */
const ALIASES = {
  domain: 'libs/domain',
  'event-store': 'libs/event-store',
  venues: 'libs/venues',
  'read-models': 'libs/read-models',
  platform: 'libs/platform',
  application: 'libs/application',
  api: 'apps/api',
  gateway: 'apps/gateway',
  projector: 'apps/projector',
  backtest: 'apps/backtest',
  migrations: 'migrations',
};

/** The unit a repository path belongs to: `libs/<name>`, `apps/<name>`, `migrations`, or null. */
function unitOf(path) {
  const parts = path.split('/');
  if ((parts[0] === 'libs' || parts[0] === 'apps') && parts.length > 1) return `${parts[0]}/${parts[1]}`;
  if (parts[0] === 'migrations') return 'migrations';
  return null;
}

function targetOf(source, fromFile) {
  const alias = /^@oms\/([^/]+)/.exec(source);
  if (alias) return ALIASES[alias[1]] ?? null;
  if (!source.startsWith('.')) return null; // a package from node_modules
  return unitOf(relative(ROOT, resolve(dirname(fromFile), source)));
}

/** Why `from` may not import `to`, or null when it may. */
function refusal(from, to) {
  if (to === null || from === to) return null;
  if (from === 'apps/oms') return null;
  if (from.startsWith('libs/') && to.startsWith('apps/')) return `${from} is a library: libraries never import apps (${to}).`;
  if (from.startsWith('apps/') && to.startsWith('apps/'))
    return `${from} may not import ${to}: apps meet only in the composition root, apps/oms.`;
  if (from === 'migrations' && to !== 'migrations') return `migrations import nothing from ${to}.`;
  return null;
}

export const layers = {
  meta: {
    type: 'problem',
    docs: { description: 'Import directions between libs and apps (ARCHITECTURE §2).' },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const from = unitOf(relative(ROOT, file));
    if (from === null) return {};
    const check = (node) => {
      if (!node.source || typeof node.source.value !== 'string') return;
      const why = refusal(from, targetOf(node.source.value, file));
      if (why) context.report({ node: node.source, message: why });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: (node) => check({ source: node.source }),
    };
  },
};
