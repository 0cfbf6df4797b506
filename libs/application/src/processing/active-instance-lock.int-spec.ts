import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '@oms/event-store/testing/test-database';
import { waitUntil } from '../../../../test/wait-for';
import { ActiveInstanceLock } from './active-instance-lock';

describe('ActiveInstanceLock', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(() => database.drop());

  it('a standby whose retry fails (the database away) keeps trying, and takes over when the holder goes', async () => {
    // Only the url is read from the DataSource, at every attempt: changing it stands for an outage.
    const reachable = { options: { url: database.connectionString } } as unknown as DataSource;
    let url = database.connectionString;
    let attempts = 0;
    const flaky = {
      options: {
        get url() {
          attempts++;
          return url;
        },
      },
    };
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

    url = 'postgres://postgres:postgres@127.0.0.1:1/nowhere'; // refused at once
    const before = attempts;
    await waitUntil(() => attempts >= before + 3, 'three retries against the unreachable database', 10_000);
    url = database.connectionString;
    await holder.release();
    await waitUntil(() => standbyActive, 'the standby to take over once the holder let go', 10_000);

    expect(standbyActive).toBe(true);
    expect(standby.isActive).toBe(true);
    expect(lost).toEqual([]); // a failed attempt is not a lost lock
    await standby.release();
  });
});
