import { spawnSync } from 'child_process';
import { join } from 'path';

/**
 * ESLint's verdict on `code` as if it were the file `filename` of this repository, for the tests that
 * keep the lint rules firing. ESLint runs as a child process (its flat config is ESM, which jest's
 * module sandbox cannot load).
 */
export function lintAs(filename: string, code: string): { ruleId: string | null; message: string }[] {
  const root = join(__dirname, '..');
  const result = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/eslint/bin/eslint.js'),
      '--format',
      'json',
      '--stdin',
      '--stdin-filename',
      filename,
    ],
    { cwd: root, input: code, encoding: 'utf8' },
  );
  const [report] = JSON.parse(result.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return report.messages;
}
