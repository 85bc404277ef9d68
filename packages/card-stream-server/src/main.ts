// Reads the configuration, starts the platform and closes it gracefully on SIGTERM.
import { buildPlatform } from './app.js';
import { readConfig } from './config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = readConfig(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  // Listen for signals from the start, so one that arrives while the store opens still
  // closes the server cleanly once it is up rather than killing it mid-migration.
  let closeApp: (() => Promise<void>) | undefined;
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.error(`${signal}: closing`);
    if (!closeApp) return; // still starting: closed right after the store is open
    closeApp().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  const { app, generatedCredential } = await buildPlatform({ ...config, logger: { level: process.env.LOG_LEVEL ?? 'warn' } });
  if (generatedCredential) {
    console.log('Created a credential with every role. Its secret is shown only this once:');
    console.log(`  clientId:     ${generatedCredential.clientId}`);
    console.log(`  clientSecret: ${generatedCredential.clientSecret}`);
  }
  closeApp = () => app.close();
  if (closing) {
    await app.close();
    process.exit(0);
  }
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  console.log(`listening on http://${shownHost}:${port}`);
}

main().catch((err: unknown) => {
  // Start-up refusals (a held data directory, an unreachable database) are one clear line.
  console.error(err instanceof Error ? err.message : String(err));
  if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) console.error(err.stack);
  process.exit(1);
});
