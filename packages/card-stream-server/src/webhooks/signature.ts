// Webhook signatures (CONTRACT §7): `X-Signature: t=<unix seconds>,sha256=<hex>` where the
// hex is HMAC-SHA256 of "<t>.<body>" under the webhook's secret. Signing the time with the
// body lets a receiver refuse a replay of an old delivery.
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-signature';

export function signatureHeader(secret: string, body: string, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  return `t=${t},sha256=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}
