// Start flags and environment (CONTRACT §1). Flags win over the environment.
import { parseArgs } from 'node:util';
import type { AppConfig } from './app.js';

export interface ServerConfig extends AppConfig {
  port: number;
  host: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function wholeNumber(text: string, name: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of at least ${min}, not "${text}".`);
  return n;
}

/** A secret that signs tokens or opens every route is refused when it can be guessed. */
export const MIN_SECRET_LENGTH = 32;

function strongSecret(value: string, name: string): string {
  if (value.length < MIN_SECRET_LENGTH) {
    throw new Error(`${name} must be at least ${MIN_SECRET_LENGTH} characters (it has ${value.length}): use a long random value, e.g. from \`openssl rand -base64 32\`.`);
  }
  return value;
}

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
  if (bootstrapKey) config.bootstrapKey = strongSecret(bootstrapKey, '--bootstrap-key (BOOTSTRAP_KEY)');
  if (env.JWT_SECRET) config.jwtSecret = strongSecret(env.JWT_SECRET, 'JWT_SECRET');
  if (env.WEBHOOK_ALLOW_PRIVATE !== undefined) config.webhooks = { allowPrivate: env.WEBHOOK_ALLOW_PRIVATE === '1' };
  if (env.SOCKETS_PER_ADDRESS !== undefined) config.realtime = { maxSocketsPerAddress: wholeNumber(env.SOCKETS_PER_ADDRESS, 'SOCKETS_PER_ADDRESS', 1) };
  if (env.CHANNEL_DAILY_CARD_LIMIT !== undefined) config.channelDailyCardLimit = wholeNumber(env.CHANNEL_DAILY_CARD_LIMIT, 'CHANNEL_DAILY_CARD_LIMIT', 0);
  return config;
}
