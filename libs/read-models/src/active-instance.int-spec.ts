import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../../event-store/src/testing/test-database';
import { ActiveInstanceLock } from './active-instance';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ActiveInstanceLock', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(() => database.drop());

  it('a standby whose retry fails (the database away) keeps trying, and takes over when the holder goes', async () => {
    // Only the url is read from the DataSource, at every attempt: changing it stands for an outage.
    const reachable = { options: { url: database.connectionString } } as unknown as DataSource;
    const flaky = { options: { url: database.connectionString } } as { options: { url: string } };
    const holder = new ActiveInstanceLock(reachable, 'test-lock', 50);
    const standby = new ActiveInstanceLock(flaky as unknown as DataSource, 'test-lock', 50);
    const lost: string[] = [];
    let standbyActive = false;

    expect(
      await holder.run(
        async () => undefined,
        (r) => lost.push(r),
      ),
    ).toBe(true);
    expect(
      await standby.run(
        async () => {
          standbyActive = true;
        },
        (r) => lost.push(r),
      ),
    ).toBe(false);

    flaky.options.url = 'postgres://postgres:postgres@127.0.0.1:1/nowhere'; // refused at once
    await sleep(300); // several retries fail
    flaky.options.url = database.connectionString;
    await holder.release();
    for (let i = 0; i < 100 && !standbyActive; i++) await sleep(20);

    expect(standbyActive).toBe(true);
    expect(standby.isActive).toBe(true);
    expect(lost).toEqual([]); // a failed attempt is not a lost lock
    await standby.release();
  });
});
