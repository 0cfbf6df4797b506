#!/usr/bin/env node
/**
 * Builds the OMS (`nest build oms`, incremental) only when a source changed since the last build, so
 * that `npm start` on an unchanged checkout starts at once. The last successful build records the
 * newest source time it saw in dist/.build-stamp; a newer source, a missing stamp or a missing entry
 * point means a build. `--force` builds whatever the stamp says (`npm run build`).
 */
const { spawnSync } = require('child_process');
const { existsSync, readFileSync, readdirSync, statSync, writeFileSync } = require('fs');
const { join } = require('path');

const root = join(__dirname, '..');
const SOURCES = ['apps', 'libs', 'migrations', 'tsconfig.json', 'nest-cli.json', 'package-lock.json'];
const STAMP = join(root, 'dist', '.build-stamp');
const ENTRY = join(root, 'dist', 'apps', 'oms', 'src', 'main.js');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.endsWith('spec.ts')) continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

const sources = Math.max(...SOURCES.map((s) => join(root, s)).filter(existsSync).map(newest));
const built = existsSync(STAMP) ? Number(readFileSync(STAMP, 'utf8')) : -1;
const force = process.argv.includes('--force');
if (!force && existsSync(ENTRY) && built >= sources) process.exit(0);

if (!force) console.error(existsSync(ENTRY) ? 'sources changed: building the OMS' : 'building the OMS');
const build = spawnSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build', 'oms'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);
writeFileSync(STAMP, String(sources));
