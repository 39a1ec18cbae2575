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
  readonly embedded: EmbeddedNeo4jConfig;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly production: boolean;
  readonly logLevel: LogLevel;
  readonly neo4j: Neo4jConfig;
  readonly limits: {
    readonly bodyBytes: number;
  };
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
      ...overrides.neo4j,
      embedded: {
        port: integer(env, 'NEO4J_PORT', 7687, 1, 65535),
        dataDir: resolve(env['PEDIGREE_DATA_DIR'] ?? '.data/neo4j'),
        pagecache: env['PEDIGREE_NEO4J_PAGECACHE'] ?? '512m',
        heap: env['PEDIGREE_NEO4J_HEAP'] ?? '1g',
        ...overrides.neo4j?.embedded,
      },
    },
    limits: {
      bodyBytes: integer(env, 'PEDIGREE_MAX_BODY_BYTES', 12 * 1024 * 1024, 1024, 1024 ** 3),
      ...overrides.limits,
    },
  };
  return deepFreeze(config);
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
