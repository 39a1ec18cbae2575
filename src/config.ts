/**
 * The only reader of process.env. Everything else receives the frozen Config built here.
 * Precedence: an explicit override beats the environment, which beats the default.
 */
import { resolve } from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface EmbeddedNeo4jConfig {
  readonly port: number;
  readonly dataDir: string;
  readonly pagecache: string;
  readonly heap: string;
}

export interface Neo4jConfig {
  /** Unset means: launch the embedded default from neo4j/. */
  readonly uri: string | undefined;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** How long start-up waits for Neo4j before giving up, in ms. */
  readonly startupTimeoutMs: number;
  /** How long the driver retries a transaction on transient errors before UNAVAILABLE, in ms. */
  readonly retryMs: number;
  /** PEDIGREE_SLOW_QUERY_MS: statements slower than this are logged at warn (0: never). */
  readonly slowQueryMs: number;
  readonly embedded: EmbeddedNeo4jConfig;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly production: boolean;
  readonly logLevel: LogLevel;
  readonly neo4j: Neo4jConfig;
  readonly auth: AuthConfig;
  readonly limits: Limits;
  readonly events: EventsConfig;
  readonly ws: WebSocketConfig;
  readonly monitoring: MonitoringConfig;
  readonly mlflow: MlflowConfig;
  readonly webhooks: WebhooksConfig;
}

/** The MLflow REST adapter (src/ingest/mlflow). */
export interface MlflowConfig {
  /** PEDIGREE_MLFLOW_ARTIFACT_ROOT: the directory proxied artifacts are stored under. */
  readonly artifactRoot: string;
  /** PEDIGREE_MLFLOW_MAX_ARTIFACT_BYTES: largest accepted artifact upload. */
  readonly maxArtifactBytes: number;
  /** Largest accepted JSON request body (PEDIGREE_MAX_BODY_BYTES, as for GraphQL). */
  readonly bodyBytes: number;
}

export interface AuthConfig {
  /** PEDIGREE_ADMIN_TOKEN: a server-wide admin credential, for bootstrapping. */
  readonly adminToken: string | undefined;
  readonly jwt: {
    /** HS256 shared secret; or */
    readonly secret: string | undefined;
    /** a JWKS URL for asymmetric keys (RS256, ES256, EdDSA ...). */
    readonly jwksUrl: string | undefined;
    readonly issuer: string | undefined;
    readonly audience: string | undefined;
    /** Claim holding `{ "<project id>": "VIEWER" | "WRITER" | "ADMIN" }`. */
    readonly rolesClaim: string;
    /** Claim that, when `true`, makes the subject a server-wide admin. */
    readonly adminClaim: string;
  };
  /** When set, every HTTP and WebSocket request must carry it in `routerSecretHeader`. */
  readonly routerSecret: string | undefined;
  readonly routerSecretHeader: string;
  /** How often open WebSockets re-check their credential (expiry, revocation), in ms. */
  readonly socketRecheckMs: number;
}

export interface Limits {
  readonly bodyBytes: number;
  readonly depth: number;
  readonly aliases: number;
  readonly cost: number;
  readonly tokens: number;
  readonly subscriptionsPerConnection: number;
  /** Largest work an operation may ask for, with its variables (src/graphql/schema/work.ts). */
  readonly work: number;
  /** Most entries of one `ids` or `representations` argument (`nodes`, `_entities`, `compareRuns`). */
  readonly representations: number;
  /** Largest serialized response (HTTP body, WebSocket `next` payload), in bytes. */
  readonly responseBytes: number;
  /** Failed authentications per client address per minute before RATE_LIMITED; 0 = off. */
  readonly authFailuresPerMinute: number;
  /** Requests (HTTP operations and WebSocket subscribes) per credential per second; 0 = off. */
  readonly ratePerSecond: number;
}

/** The event stream (docs/events.md); see src/events/dispatcher.ts. */
export interface EventsConfig {
  /** How often each instance polls the log for other instances' events and numbers pending ones, in ms. */
  readonly pollMs: number;
  /** Events read per query when tailing or replaying. */
  readonly pageSize: number;
  /** Undelivered events a subscriber may fall behind before its subscription ends. */
  readonly queueSize: number;
  /** Events older than this are pruned, in ms. */
  readonly retentionMs: number;
  /** How often each instance prunes, in ms; 0 turns pruning off on this instance. */
  readonly pruneIntervalMs: number;
}

/** Serving observations (src/monitoring). */
export interface MonitoringConfig {
  /** Serving windows whose end is older than this are pruned, in ms. */
  readonly windowRetentionMs: number;
  /** How often each instance prunes windows, in ms; 0 turns it off on this instance. */
  readonly pruneIntervalMs: number;
}

/** Webhook delivery (src/events/webhooks/). */
export interface WebhooksConfig {
  /** PEDIGREE_WEBHOOK_ALLOW_PRIVATE: accept URLs resolving to loopback, private, link-local or metadata addresses. */
  readonly allowPrivate: boolean;
  /** Delays before each retry, in ms; the last one repeats until `retryForMs` has passed since the first attempt. */
  readonly retryScheduleMs: readonly number[];
  /** A delivery still failing this long after its first attempt is given up (FAILED), in ms. */
  readonly retryForMs: number;
  /** Whole request timeout (connect, send, response head and the bounded body), in ms. */
  readonly timeoutMs: number;
  /** How long a gateway's claim on a webhook lasts without renewal, in ms; renewed every third of it. */
  readonly leaseMs: number;
  /** The most webhooks one gateway delivers at once (one request in flight each). */
  readonly maxPerInstance: number;
  /** PEDIGREE_WEBHOOK_SECRET_KEY: when set, signing secrets are stored encrypted with a key derived from it. */
  readonly secretKey: string | undefined;
  /** false turns delivery off in this process (the webhook mutations still work). */
  readonly deliver: boolean;
}

/** graphql-ws transport limits. */
export interface WebSocketConfig {
  /** Largest accepted WebSocket message, in bytes. */
  readonly maxPayloadBytes: number;
  /** A socket that has not sent connection_init by then is closed (4408), in ms. */
  readonly connectionInitTimeoutMs: number;
  /** Ping interval; a socket that misses a pong by the next ping is terminated, in ms; 0 = off. */
  readonly keepAliveMs: number;
}

export type ConfigOverrides = {
  readonly [K in keyof Config]?: Config[K] extends object ? Partial<Config[K]> : Config[K];
};

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  const config: Config = {
    port: overrides.port ?? integer(env, 'PORT', 4000, 0, 65535),
    host: overrides.host ?? env['HOST'] ?? '0.0.0.0',
    production: overrides.production ?? env['NODE_ENV'] === 'production',
    logLevel: overrides.logLevel ?? logLevel(env),
    neo4j: {
      uri: env['NEO4J_URI'] || undefined,
      user: env['NEO4J_USER'] ?? 'neo4j',
      password: env['NEO4J_PASSWORD'] ?? 'neo4j',
      database: env['NEO4J_DATABASE'] ?? 'neo4j',
      startupTimeoutMs: integer(env, 'PEDIGREE_NEO4J_STARTUP_TIMEOUT_MS', 60_000, 0, 3_600_000),
      retryMs: integer(env, 'PEDIGREE_NEO4J_RETRY_MS', 5_000, 0, 300_000),
      slowQueryMs: integer(env, 'PEDIGREE_SLOW_QUERY_MS', 1_000, 0, 3_600_000),
      ...overrides.neo4j,
      embedded: {
        port: integer(env, 'NEO4J_PORT', 7687, 1, 65535),
        dataDir: resolve(env['PEDIGREE_DATA_DIR'] ?? '.data/neo4j'),
        pagecache: env['PEDIGREE_NEO4J_PAGECACHE'] ?? '512m',
        heap: env['PEDIGREE_NEO4J_HEAP'] ?? '1g',
        ...overrides.neo4j?.embedded,
      },
    },
    auth: {
      adminToken: secret(env, 'PEDIGREE_ADMIN_TOKEN'),
      jwt: {
        secret: secret(env, 'PEDIGREE_JWT_SECRET'),
        jwksUrl: env['PEDIGREE_JWT_JWKS_URL'] || undefined,
        issuer: env['PEDIGREE_JWT_ISSUER'] || undefined,
        audience: env['PEDIGREE_JWT_AUDIENCE'] || undefined,
        rolesClaim: env['PEDIGREE_JWT_ROLES_CLAIM'] || 'pedigree_roles',
        adminClaim: env['PEDIGREE_JWT_ADMIN_CLAIM'] || 'pedigree_admin',
        ...overrides.auth?.jwt,
      },
      routerSecret: secret(env, 'PEDIGREE_ROUTER_SECRET'),
      routerSecretHeader: (env['PEDIGREE_ROUTER_SECRET_HEADER'] || 'x-pedigree-router-secret').toLowerCase(),
      socketRecheckMs: integer(env, 'PEDIGREE_WS_RECHECK_MS', 10_000, 100, 3_600_000),
      ...withoutJwt(overrides.auth),
    },
    limits: {
      bodyBytes: integer(env, 'PEDIGREE_MAX_BODY_BYTES', 12 * 1024 * 1024, 1024, 1024 ** 3),
      depth: integer(env, 'PEDIGREE_MAX_DEPTH', 15, 1, 1000),
      aliases: integer(env, 'PEDIGREE_MAX_ALIASES', 30, 0, 100_000),
      cost: integer(env, 'PEDIGREE_MAX_COST', 20_000, 1, 100_000_000),
      tokens: integer(env, 'PEDIGREE_MAX_TOKENS', 5_000, 10, 10_000_000),
      subscriptionsPerConnection: integer(env, 'PEDIGREE_MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1, 100_000),
      ratePerSecond: integer(env, 'PEDIGREE_RATE_LIMIT_PER_SECOND', 200, 0, 1_000_000),
      work: integer(env, 'PEDIGREE_MAX_WORK', 200_000, 1, 1_000_000_000),
      representations: integer(env, 'PEDIGREE_MAX_REPRESENTATIONS', 1_000, 1, 1_000_000),
      responseBytes: integer(env, 'PEDIGREE_MAX_RESPONSE_BYTES', 16 * 1024 * 1024, 1024, 1024 ** 3),
      authFailuresPerMinute: integer(env, 'PEDIGREE_AUTH_FAILURES_PER_MINUTE', 60, 0, 1_000_000),
      ...overrides.limits,
    },
    events: {
      pollMs: integer(env, 'PEDIGREE_EVENTS_POLL_MS', 200, 10, 60_000),
      pageSize: integer(env, 'PEDIGREE_EVENTS_PAGE_SIZE', 500, 1, 10_000),
      queueSize: integer(env, 'PEDIGREE_EVENTS_QUEUE_SIZE', 1_000, 1, 1_000_000),
      retentionMs: integer(env, 'PEDIGREE_EVENTS_RETENTION_MS', 30 * 24 * 3_600_000, 1_000, 10 * 365 * 24 * 3_600_000),
      pruneIntervalMs: integer(env, 'PEDIGREE_EVENTS_PRUNE_INTERVAL_MS', 3_600_000, 0, 24 * 3_600_000),
      ...overrides.events,
    },
    ws: {
      maxPayloadBytes: integer(env, 'PEDIGREE_WS_MAX_PAYLOAD_BYTES', 1024 * 1024, 1024, 1024 ** 3),
      connectionInitTimeoutMs: integer(env, 'PEDIGREE_WS_INIT_TIMEOUT_MS', 3_000, 100, 600_000),
      keepAliveMs: integer(env, 'PEDIGREE_WS_KEEPALIVE_MS', 12_000, 0, 600_000),
      ...overrides.ws,
    },
    monitoring: {
      windowRetentionMs: integer(env, 'PEDIGREE_SERVING_WINDOW_RETENTION_MS', 90 * 24 * 3_600_000, 1_000, 10 * 365 * 24 * 3_600_000),
      pruneIntervalMs: integer(env, 'PEDIGREE_SERVING_WINDOW_PRUNE_INTERVAL_MS', 3_600_000, 0, 24 * 3_600_000),
      ...overrides.monitoring,
    },
    mlflow: {
      artifactRoot: resolve(env['PEDIGREE_MLFLOW_ARTIFACT_ROOT'] ?? '.data/mlflow-artifacts'),
      maxArtifactBytes: integer(env, 'PEDIGREE_MLFLOW_MAX_ARTIFACT_BYTES', 5 * 1024 ** 3, 1, 1024 ** 4),
      bodyBytes: integer(env, 'PEDIGREE_MAX_BODY_BYTES', 12 * 1024 * 1024, 1024, 1024 ** 3),
      ...overrides.mlflow,
    },
    webhooks: {
      allowPrivate: env['PEDIGREE_WEBHOOK_ALLOW_PRIVATE'] === 'true',
      retryScheduleMs: integers(env, 'PEDIGREE_WEBHOOK_RETRY_SCHEDULE_MS', [5_000, 30_000, 120_000, 600_000, 3_600_000], 1, 24 * 3_600_000),
      retryForMs: integer(env, 'PEDIGREE_WEBHOOK_RETRY_FOR_MS', 24 * 3_600_000, 0, 30 * 24 * 3_600_000),
      timeoutMs: integer(env, 'PEDIGREE_WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
      leaseMs: integer(env, 'PEDIGREE_WEBHOOK_LEASE_MS', 30_000, 300, 3_600_000),
      maxPerInstance: integer(env, 'PEDIGREE_WEBHOOK_MAX_PER_INSTANCE', 1_000, 1, 100_000),
      secretKey: secret(env, 'PEDIGREE_WEBHOOK_SECRET_KEY'),
      deliver: env['PEDIGREE_WEBHOOK_DELIVER'] !== 'false',
      ...overrides.webhooks,
    },
  };
  return deepFreeze(config);
}

/** A secret: unset or at least 16 characters (a short one is a misconfiguration, not a secret). */
function secret(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 16) throw new ConfigError(`${name} must be at least 16 characters`);
  return raw;
}

function withoutJwt(auth: Partial<AuthConfig> | undefined): Partial<Omit<AuthConfig, 'jwt'>> {
  const { jwt: _jwt, ...rest } = auth ?? {};
  return rest;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

/** A comma-separated list of integers, each from min to max. */
function integers(env: Env, name: string, fallback: readonly number[], min: number, max: number): number[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return [...fallback];
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < min || value > max)) {
    throw new ConfigError(`${name} must be a comma-separated list of integers from ${min} to ${max}, got '${raw}'`);
  }
  return values;
}

function logLevel(env: Env): LogLevel {
  const raw = env['PEDIGREE_LOG_LEVEL'] ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(`PEDIGREE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${raw}'`);
  }
  return raw as LogLevel;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child !== null && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}
