/** Read-model projections, the projector that runs them, and the rebuild; wired by apps/oms. */
export * from './projections';
export * from './projector';
export * from './rebuild';
