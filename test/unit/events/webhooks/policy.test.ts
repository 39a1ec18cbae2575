/**
 * src/events/webhooks: the SSRF address rules, the retry policy and schedule, event types, and
 * sealed signing secrets (pure functions; delivery itself is tested in test/e2e/webhooks.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { isPublicAddress, resolveTarget, urlProblem } from '../../../../src/events/webhooks/address.ts';
import { eventType, retryDelay, verdictOf } from '../../../../src/events/webhooks/policy.ts';
import { createSigner, newSigningSecret, openSecret, sealSecret } from '../../../../src/events/webhooks/secrets.ts';

describe('the SSRF guard', () => {
  it('refuses loopback, private, link-local, metadata, reserved and mapped addresses', () => {
    for (const address of [
      '127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.100.100.200',
      '0.0.0.0', '224.0.0.1', '255.255.255.255', '198.18.0.1', '::', '::1', 'fe80::1', 'fd00:ec2::254', 'fc00::1', 'ff02::1',
      '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe', '2001:db8::1', 'not-an-address',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('accepts public unicast addresses', () => {
    for (const address of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  it('checks a literal host without DNS, and every address, unless private addresses are allowed', async () => {
    await expect(resolveTarget('127.0.0.1', false)).rejects.toThrow(/loopback, private, link-local or reserved/);
    await expect(resolveTarget('::1', false)).rejects.toThrow(/::1/);
    await expect(resolveTarget('127.0.0.1', true)).resolves.toEqual([{ address: '127.0.0.1', family: 4 }]);
    await expect(resolveTarget('localhost', false)).rejects.toThrow(/localhost resolves to/);
  });

  it('takes http and https URLs without credentials only', () => {
    expect(urlProblem('https://hooks.example.com/pedigree')).toBeNull();
    expect(urlProblem('ftp://example.com/x')).toMatch(/http or https/);
    expect(urlProblem('example.com/x')).toMatch(/absolute/);
    expect(urlProblem('https://u:p@example.com/x')).toMatch(/credentials/);
    expect(urlProblem(`https://example.com/${'x'.repeat(2_100)}`)).toMatch(/2048/);
  });
});

describe('the retry policy', () => {
  const response = (status: number) => ({ kind: 'response' as const, status, body: '', retryAfterMs: null });

  it('retries timeouts, connection errors, 429 and 5xx; 410 turns off; other answers fail the delivery', () => {
    expect(verdictOf(response(200))).toBe('DELIVERED');
    expect(verdictOf(response(204))).toBe('DELIVERED');
    expect(verdictOf(response(500))).toBe('RETRY');
    expect(verdictOf(response(503))).toBe('RETRY');
    expect(verdictOf(response(429))).toBe('RETRY');
    expect(verdictOf({ kind: 'error', error: 'ECONNREFUSED', blocked: false })).toBe('RETRY');
    expect(verdictOf(response(410))).toBe('GONE');
    expect(verdictOf(response(400))).toBe('FAILED');
    expect(verdictOf(response(404))).toBe('FAILED');
    expect(verdictOf(response(301))).toBe('FAILED');
    expect(verdictOf({ kind: 'error', error: 'refused', blocked: true })).toBe('FAILED');
  });

  it('backs off along the schedule with a jitter of 0.8 to 1.2, repeating the last step, stretched to Retry-After', () => {
    const schedule = [5_000, 30_000, 120_000, 600_000, 3_600_000];
    expect([1, 2, 3, 4, 5, 6, 30].map((n) => retryDelay(n, schedule, null, () => 0.5))).toEqual([5_000, 30_000, 120_000, 600_000, 3_600_000, 3_600_000, 3_600_000]);
    expect(retryDelay(1, schedule, null, () => 0)).toBe(4_000);
    expect(retryDelay(1, schedule, null, () => 1)).toBe(6_000);
    expect(retryDelay(1, schedule, 60_000, () => 0.5)).toBe(60_000);
    expect(retryDelay(1, schedule, 86_400_000, () => 0.5)).toBe(3_600_000);
  });

  it('names event types the Standard Webhooks way', () => {
    expect(eventType('DATASET_VERSION_CREATED')).toBe('dataset_version.created');
    expect(eventType('RUN_FINISHED')).toBe('run.finished');
    expect(eventType('MODEL_VERSION_STATUS_CHANGED')).toBe('model_version.status_changed');
    expect(eventType('MODEL_ALIAS_MOVED')).toBe('model_alias.moved');
    expect(eventType('DEPLOYMENT_STATUS_CHANGED')).toBe('deployment.status_changed');
  });
});

describe('signing secrets', () => {
  it('are whsec_ secrets the standardwebhooks library signs and verifies with', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const signer = new Webhook(secret);
    const now = new Date();
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(Math.floor(now.getTime() / 1_000)), 'webhook-signature': signer.sign('evt_1', now, '{"a":1}') };
    expect(new Webhook(secret).verify('{"a":1}', headers)).toEqual({ a: 1 });
    expect(() => new Webhook(newSigningSecret()).verify('{"a":1}', headers)).toThrow();
  });

  it('sign exactly as the standardwebhooks package does', () => {
    for (let i = 0; i < 20; i += 1) {
      const secret = newSigningSecret();
      const at = new Date(1_700_000_000_000 + i * 7_919);
      const body = JSON.stringify({ type: 'run.started', n: i, text: 'é✓'.repeat(i) });
      expect(createSigner(secret)(`evt_${i}`, at, body)).toBe(new Webhook(secret).sign(`evt_${i}`, at, body));
    }
  });

  it('are stored sealed under the configured key, and only that key opens them', () => {
    const secret = newSigningSecret();
    expect(sealSecret(secret, undefined)).toBe(secret);
    const sealed = sealSecret(secret, 'a key of at least sixteen characters');
    expect(sealed).toMatch(/^sealed:v1:/);
    expect(sealed).not.toContain(secret.slice(6));
    expect(openSecret(sealed, 'a key of at least sixteen characters')).toBe(secret);
    expect(() => openSecret(sealed, 'another key of sixteen characters')).toThrow();
    expect(() => openSecret(sealed, undefined)).toThrow(/PEDIGREE_WEBHOOK_SECRET_KEY/);
    expect(openSecret(secret, 'a key of at least sixteen characters')).toBe(secret);
  });
});

describe('webhook configuration', () => {
  it('reads the schedule, lease, timeout and private-address setting from the environment', async () => {
    const { loadConfig, ConfigError } = await import('../../../../src/config.ts');
    const defaults = loadConfig({}).webhooks;
    expect(defaults).toMatchObject({ allowPrivate: false, retryScheduleMs: [5_000, 30_000, 120_000, 600_000, 3_600_000], retryForMs: 86_400_000, timeoutMs: 10_000, deliver: true });
    const set = loadConfig({ PEDIGREE_WEBHOOK_ALLOW_PRIVATE: 'true', PEDIGREE_WEBHOOK_RETRY_SCHEDULE_MS: '10, 20,40', PEDIGREE_WEBHOOK_LEASE_MS: '2000' }).webhooks;
    expect(set).toMatchObject({ allowPrivate: true, retryScheduleMs: [10, 20, 40], leaseMs: 2_000 });
    expect(() => loadConfig({ PEDIGREE_WEBHOOK_RETRY_SCHEDULE_MS: '10,x' })).toThrow(ConfigError);
    expect(() => loadConfig({ PEDIGREE_WEBHOOK_SECRET_KEY: 'short' })).toThrow(ConfigError);
  });
});
