import { GraphQLSchemaHost } from '@nestjs/graphql';
import { readFileSync, writeFileSync } from 'fs';
import { buildSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { join } from 'path';
import { startOms } from './harness';

jest.setTimeout(30_000);

const SCHEMA_FILE = join(__dirname, '../../api/schema.graphql');

/** The committed schema is the contract front-ends build against; it must match the code. */
describe('GraphQL schema file', () => {
  it('apps/api/schema.graphql matches the schema the code builds (npm run schema rewrites it)', async () => {
    const oms = await startOms();
    try {
      // Both sides go through one parse-and-print, so only real differences (types, fields, arguments,
      // descriptions) count, not how a description string happens to be laid out.
      const normalise = (sdl: string) => `${printSchema(lexicographicSortSchema(buildSchema(sdl)))}\n`;
      const current = normalise(printSchema(oms.app.get(GraphQLSchemaHost).schema));
      if (process.env.UPDATE_GRAPHQL_SCHEMA === '1') writeFileSync(SCHEMA_FILE, current);
      expect(normalise(readFileSync(SCHEMA_FILE, 'utf8'))).toBe(current);
    } finally {
      await oms.stop();
      await oms.database.drop();
    }
  });
});
