// Start flags and environment (CONTRACT §1). Flags win over the environment.
import { parseArgs } from 'node:util';
import type { AppConfig } from './app.js';

export interface ServerConfig extends AppConfig {
  port: number;
  host: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function readConfig(argv: string[], env: NodeJS.ProcessEnv): ServerConfig {
  // node:util parseArgs on Node 20 has no negated booleans, so --no-demo is taken out first.
  const noDemo = argv.includes('--no-demo');
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--no-demo'),
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean' },
      'bootstrap-key': { type: 'string' },
      demo: { type: 'boolean' },
    },
    strict: true,
  });

  const portText = values.port ?? env.PORT ?? '8787';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0 to 65535, not "${portText}".`);
  const host = values.host ?? env.HOST ?? '127.0.0.1';

  const demoEnv = env.DEMO === undefined ? undefined : !['0', 'false', 'no', 'off'].includes(env.DEMO.toLowerCase());
  const demo = noDemo ? false : (values.demo ?? demoEnv ?? LOOPBACK.has(host));

  const store: AppConfig['store'] = values.memory
    ? { kind: 'memory' }
    : env.DATABASE_URL
      ? { kind: 'postgres', url: env.DATABASE_URL }
      : { kind: 'sqlite', dataDir: values['data-dir'] ?? env.DATA_DIR ?? './data' };

  const config: ServerConfig = { port, host, demo, store };
  const bootstrapKey = values['bootstrap-key'] ?? env.BOOTSTRAP_KEY;
  if (bootstrapKey) config.bootstrapKey = bootstrapKey;
  if (env.JWT_SECRET) config.jwtSecret = env.JWT_SECRET;
  if (env.CHANNEL_DAILY_CARD_LIMIT !== undefined) {
    const limit = Number(env.CHANNEL_DAILY_CARD_LIMIT);
    if (!Number.isInteger(limit) || limit < 0) {
      throw new Error(`CHANNEL_DAILY_CARD_LIMIT must be a whole number of cards, not "${env.CHANNEL_DAILY_CARD_LIMIT}".`);
    }
    config.channelDailyCardLimit = limit;
  }
  return config;
}
