export * from './commands';
export * from './commands.module';
