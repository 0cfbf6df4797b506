import { SettingsError } from './settings';

/**
 * Runs a command-line tool (`npm run rebuild`, `npm run audit:verify`): a configuration mistake is
 * one sentence and exit code 2; any other failure its message and exit code 1.
 */
export function runCli(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(
      error instanceof SettingsError
        ? `Configuration error: ${error.message}`
        : error instanceof Error
          ? error.message
          : error,
    );
    process.exit(error instanceof SettingsError ? 2 : 1);
  });
}
