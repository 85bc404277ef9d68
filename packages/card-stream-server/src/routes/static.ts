// The SDK bundles (CONTRACT §0).
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import type { App } from './types.js';
import { NotFound } from '../errors.js';

/** The folder holding package.json, found from this file whether it runs from src or dist. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

// Served from the installed SDK package (a workspace link in this repository).
const SDK_FILES: Record<string, string> = {
  'card-stream.iife.js': 'card-stream/card-stream.iife.js',
  'card-stream.js': 'card-stream/card-stream.bundle.js',
};

/** Where a file of the SDK package is, or undefined while it is not built. */
function sdkFilePath(specifier: string): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(specifier);
  } catch {
    return undefined;
  }
}

/** Streams a built file, or a 404 that says to build it. */
export async function sendFile(path: string, type: string, reply: FastifyReply): Promise<FastifyReply> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new NotFound('not_built', 'This file is not built yet: run npm run build.');
  return reply
    .header('content-type', type)
    .header('content-length', info.size)
    .header('cache-control', 'no-cache')
    .header('access-control-allow-origin', '*')
    .send(createReadStream(path));
}

export function staticRoutes(app: App): void {
  app.get<{ Params: { file: string } }>('/sdk/:file', { schema: { hide: true } }, async (request, reply) => {
    const file = SDK_FILES[request.params.file];
    if (!file) throw new NotFound('not_found', `There is no SDK file ${request.params.file}.`);
    const path = sdkFilePath(file);
    if (!path) throw new NotFound('not_built', 'The SDK is not built yet: run npm run build.');
    return sendFile(path, 'text/javascript; charset=utf-8', reply);
  });
}
