// SDK tests in headless Chromium: npm run test:sdk (web-test-runner).
// Chromium comes from Debian (/usr/bin/chromium); puppeteer-core downloads nothing.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { platformSupport } from './test/sdk/support/platform-plugin.mjs';

const executablePath = process.env.CHROME_PATH ?? '/usr/bin/chromium';
// The real platform (packages/card-stream-server/src/main.ts on a free port) and the /__cs/ test helpers.
const platform = platformSupport();

export default {
  files: ['test/sdk/**/*.test.ts'],
  nodeResolve: true,
  hostname: '127.0.0.1',
  // TypeScript via esbuild; it maps the sources' `./x.js` imports to `./x.ts`.
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }), platform.plugin],
  middleware: [platform.middleware],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath,
        args: [
          '--no-sandbox', // needed as root
          '--headless=new',
          '--disable-gpu',
          // Without these Chromium keeps calling home on a closed network.
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      },
    }),
  ],
  // Lit's development build announces itself once per page; everything else is shown.
  filterBrowserLogs: ({ args }) => !args.some((arg) => typeof arg === 'string' && arg.includes('Lit is in dev mode')),
  testFramework: { config: { timeout: 15000 } },
  testsFinishTimeout: 180_000,
};
