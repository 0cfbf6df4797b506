/** TypeORM entities and query services shared by the projector (writer) and the api (reader). */
export * from './decimal-column';
export * from './entities';
export * from './checkpoints';
export * from './active-instance';
