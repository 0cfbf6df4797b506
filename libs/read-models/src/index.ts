/** TypeORM entities of the read models, shared by the projector (writer) and the API (reader). */
export * from './decimal-column';
export * from './entities';
export * from './channels';
