// Card content is untrusted: only these schemes are ever put in an href or a src.
export const LINK_SCHEMES = ['http:', 'https:', 'mailto:'] as const;
export const MEDIA_SCHEMES = ['http:', 'https:'] as const;

/** The URL when it is absolute and its scheme is allowed; otherwise undefined. */
export function safeUrl(raw: string, schemes: readonly string[] = LINK_SCHEMES): string | undefined {
  try {
    const url = new URL(raw.trim());
    return schemes.includes(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}
