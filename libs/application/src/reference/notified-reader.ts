import { Client } from 'pg';

/**
 * Keeps something in memory up with tables another process writes: reads once at start, again on
 * every notice on `channel` (the writer notifies on commit), and every `safetyReadMs` in case a notice
 * was missed (a dropped connection). One read at a time; a notice during a read asks for one more.
 * A read that fails or hangs past its timeout drops the connection; the next read connects again.
 */
export class NotifiedReader {
  private client: Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private stopped = false;

  constructor(
    private readonly connectionString: string,
    private readonly channel: string,
    private readonly readOnce: (client: Client) => Promise<void>,
    private readonly safetyReadMs: number,
  ) {}

  async start(): Promise<void> {
    await this.read();
    this.timer = setInterval(() => void this.read().catch(() => undefined), this.safetyReadMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.reading?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  read(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.readAgain = false;
        const client = this.client ?? (await this.connect());
        await this.readOnce(client).catch((error: unknown) => {
          if (this.client === client) this.client = null;
          void client.end().catch(() => undefined);
          throw error;
        });
      } while (this.readAgain && !this.stopped);
    })().finally(() => (this.reading = null));
    return this.reading;
  }

  private async connect(): Promise<Client> {
    const client = new Client({
      connectionString: this.connectionString,
      keepAlive: true,
      query_timeout: Math.max(this.safetyReadMs, 1_000) * 5,
    });
    const drop = () => {
      if (this.client === client) this.client = null;
      void client.end().catch(() => undefined);
    };
    client.on('notification', () => void this.read().catch(() => undefined));
    client.on('error', drop);
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (error) {
      drop();
      throw error;
    }
    this.client = client;
    return client;
  }
}
