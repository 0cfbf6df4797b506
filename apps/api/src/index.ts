/** The GraphQL API and its command handlers; the composition root (apps/oms) mounts them. */
export * from './api.module';
export * from './commands';
export * from './graphql/api-deps';
export { graphiqlMiddleware } from './graphql/graphiql';
export { bearerKey } from './graphql/identity';
export type { JwtSettings } from './graphql/jwt';
