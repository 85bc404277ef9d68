// The Content-Security-Policy of the pages this server renders itself (the demo, a
// channel's public page): their own scripts and styles only, this server only, nothing
// inline; media from anywhere card content may point. `frameAncestors` says who may frame them.
export function strictPagePolicy(frameAncestors: "'none'" | "'self'", extra: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    'img-src http: https: data:',
    'media-src http: https:',
    `frame-ancestors ${frameAncestors}`,
    ...extra,
  ].join('; ');
}
