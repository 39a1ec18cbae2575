/**
 * Signing secrets. A secret is `whsec_` and 32 random bytes in base64, the form the Standard
 * Webhooks libraries take. The gateway must sign with it, so it is stored recoverably: sealed
 * with AES-256-GCM under a key derived (HKDF-SHA256) from PEDIGREE_WEBHOOK_SECRET_KEY when that
 * is set, as `sealed:v1:<iv>.<tag>.<ciphertext>` (base64url); otherwise as is. A secret stored
 * before the key was set stays readable; a sealed one needs the key it was sealed with.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'sealed:v1:';

export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function keyFrom(secretKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'pedigree', 'webhook signing secrets', 32));
}

/** The form to store: sealed when a key is configured. */
export function sealSecret(secret: string, secretKey: string | undefined): string {
  if (secretKey === undefined) return secret;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secretKey), iv);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${PREFIX}${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${sealed.toString('base64url')}`;
}

/** The secret from its stored form; throws when it is sealed and the key is missing or another. */
export function openSecret(stored: string, secretKey: string | undefined): string {
  if (!stored.startsWith(PREFIX)) return stored;
  if (secretKey === undefined) throw new Error('the signing secret is sealed and PEDIGREE_WEBHOOK_SECRET_KEY is not set');
  const [iv, tag, sealed] = stored.slice(PREFIX.length).split('.');
  const decipher = createDecipheriv('aes-256-gcm', keyFrom(secretKey), Buffer.from(iv ?? '', 'base64url'));
  decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(sealed ?? '', 'base64url')), decipher.final()]).toString('utf8');
}

/**
 * The Standard Webhooks signature of one attempt: `v1,` and the base64 HMAC-SHA256, under the
 * secret's bytes, of `<webhook-id>.<webhook-timestamp in seconds>.<body>`. The same value as the
 * `standardwebhooks` package's `Webhook.sign` (a unit test compares them), computed with
 * node:crypto: the package hashes in JavaScript, about 0.1 ms per signature, which at 100
 * webhooks and 100 events/s would take a whole core.
 */
export function createSigner(secret: string): (id: string, at: Date, body: string) => string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new Error('the signing secret is empty');
  return (id, at, body) => `v1,${createHmac('sha256', key).update(`${id}.${Math.floor(at.getTime() / 1_000)}.${body}`).digest('base64')}`;
}
