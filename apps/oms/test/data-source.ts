import { GATEWAY_ENTITIES } from '@oms/gateway';
import { READ_MODEL_ENTITIES } from '@oms/read-models';
import { DataSource } from 'typeorm';

/** A TypeORM connection to a test database with every entity the OMS registers. */
export function testDataSource(connectionString: string): Promise<DataSource> {
  return new DataSource({
    type: 'postgres',
    url: connectionString,
    entities: [...READ_MODEL_ENTITIES, ...GATEWAY_ENTITIES],
  }).initialize();
}
