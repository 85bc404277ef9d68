// Fan-out between servers sharing PostgreSQL: one dedicated connection LISTENs for the
// notices sent with every committed change (card changes, channel changes). If it drops, it reconnects
// with backoff and then asks every socket to re-read the log, since notices sent while
// it was away are gone.
import pg from 'pg';

export interface ListenerHandlers {
  /** By NOTIFY channel: what to do with a notice's parsed JSON payload. */
  notices: Record<string, (payload: unknown) => void>;
  reconnected(): void;
  error(err: unknown): void;
}

const MAX_BACKOFF_MS = 5_000;

export class PgChangeListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly url: string,
    private readonly handlers: ListenerHandlers,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => {
      const handle = this.handlers.notices[message.channel];
      if (!handle || !message.payload) return;
      try {
        handle(JSON.parse(message.payload));
      } catch (err) {
        this.handlers.error(err);
      }
    });
    client.on('error', (err) => {
      this.handlers.error(err);
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    await client.connect();
    for (const channel of Object.keys(this.handlers.notices)) await client.query(`LISTEN ${channel}`);
    this.client = client;
    this.failures = 0;
  }

  private lost(client: pg.Client): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const wait = Math.min(100 * 2 ** this.failures++, MAX_BACKOFF_MS);
    this.retry = setTimeout(() => {
      this.connect()
        .then(() => this.handlers.reconnected())
        .catch((err) => {
          this.handlers.error(err);
          this.scheduleReconnect();
        });
    }, wait);
  }
}
