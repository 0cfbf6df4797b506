import { GraphQLSchemaHost } from '@nestjs/graphql';
import { readFileSync, writeFileSync } from 'fs';
import { printSchema } from 'graphql';
import { join } from 'path';
import { startOms } from './harness';

jest.setTimeout(30_000);

const SCHEMA_FILE = join(__dirname, '..', 'schema.graphql');

/** The committed schema is the contract front-ends build against; it must match the code. */
describe('GraphQL schema file', () => {
  it('apps/api/schema.graphql matches the schema the code builds (npm run schema rewrites it)', async () => {
    const oms = await startOms();
    try {
      const printed = `${printSchema(oms.app.get(GraphQLSchemaHost).schema)}\n`;
      if (process.env.UPDATE_GRAPHQL_SCHEMA === '1') writeFileSync(SCHEMA_FILE, printed);
      expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(printed);
    } finally {
      await oms.stop();
      await oms.database.drop();
    }
  });
});
