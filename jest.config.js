/** One jest run covers unit (*.spec.ts), real-Postgres (*.int-spec.ts) and HTTP (*.e2e-spec.ts) suites. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: '.*\\.(spec|int-spec|e2e-spec)\\.ts$',
  // Type checking is `npm run build` / `npm run typecheck`; tests transpile file by file for speed.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@oms/(domain|event-store|venues|read-models|platform|application)$': '<rootDir>/libs/$1/src',
    '^@oms/(domain|event-store|venues|read-models|platform|application)/(.*)$': '<rootDir>/libs/$1/src/$2',
    '^@oms/(api|gateway|projector|backtest)$': '<rootDir>/apps/$1/src',
    '^@oms/migrations$': '<rootDir>/migrations',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  setupFilesAfterEnv: ['<rootDir>/test/jest.setup.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  // Two cores: one worker per core; Postgres suites start their own server each.
  maxWorkers: 2,
};
