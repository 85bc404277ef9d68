// The export bench's client, in a process of its own (bench/export.ts): it takes the NDJSON
// export as fast as it comes and counts its lines. On the bench's main thread, reading
// 900 MB kept the event loop that times the probe's requests behind by up to 150 ms while
// the server answered each in under 40 ms: the figure was the client's, not the server's.
import { performance } from 'node:perf_hooks';

/** What the bench passes (JSON in EXPORT_READER_INPUT): where to read, and how many lines make a tenth. */
export interface ExportReaderInput {
  url: string;
  key: string;
  tenth: number;
}

/** What this process sends the bench: each tenth of the way, and the end. */
export type ExportReaderMessage =
  | { type: 'tenth' }
  | { type: 'done'; lines: number; bytes: number; firstByteMs: number; seconds: number }
  | { type: 'failed'; message: string };

const { url, key, tenth } = JSON.parse(process.env.EXPORT_READER_INPUT ?? '{}') as ExportReaderInput;
const post = (message: ExportReaderMessage) => process.send?.(message);

try {
  const start = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  if (res.status !== 200 || !res.body) throw new Error(`export: ${res.status}`);
  let lines = 0;
  let bytes = 0;
  let firstByteMs = NaN;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - start;
    bytes += chunk.byteLength;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) {
      lines++;
      if (lines % tenth === 0) post({ type: 'tenth' });
    }
  }
  post({ type: 'done', lines, bytes, firstByteMs, seconds: (performance.now() - start) / 1000 });
} catch (err) {
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
} finally {
  process.disconnect?.();
}
