/**
 * TypeORM entities and query services shared by the projector (writer) and the api (reader)
 * (ARCHITECTURE section 7). Empty until the read-model issue builds them.
 */
export {};
