/**
 * `npm start`: read the config; when NEO4J_URI is unset, launch the embedded Neo4j from neo4j/
 * (data under .data/neo4j); start the gateway; stop both on SIGINT/SIGTERM. Failures a user
 * can fix end with one line on stderr and exit code 1, never a stack trace.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { EmbeddedNeo4jError, ensureBuilt, startEmbeddedNeo4j, type EmbeddedNeo4j } from './neo4j/embedded.ts';
import { startGateway, type Gateway } from './server.ts';
import { ensureWebBuilt, WebBuildError } from './transport/web-app.ts';

async function main(): Promise<void> {
  const config = withAdminToken(loadConfig());
  // Filled as start-up proceeds; a signal at any point stops what exists so far.
  const running: { embedded?: EmbeddedNeo4j; gateway?: Gateway } = {};
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`pedigree: ${signal} received, shutting down`);
    await running.gateway?.stop();
    await running.embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  let uri = config.neo4j.uri;
  if (!uri) {
    ensureBuilt((line) => console.error(`pedigree: ${line}`));
    running.embedded = await startEmbeddedNeo4j({ ...config.neo4j.embedded, tieToParent: true });
    uri = running.embedded.uri;
    console.error(`pedigree: embedded Neo4j on ${uri} (data in ${config.neo4j.embedded.dataDir})`);
  }
  buildWebApp();
  const gateway = await startGateway({ config, neo4jUri: uri });
  running.gateway = gateway;
  try {
    await gateway.ready;
  } catch (error) {
    await gateway.stop();
    await running.embedded?.stop();
    throw new StartupError(describeNeo4jFailure(config, uri, error));
  }
  console.error(`pedigree: serving ${gateway.url} (WebSocket ${gateway.wsUrl}); lineage explorer on ${gateway.url.replace(/graphql$/, '')}`);
  if (config.auth.adminToken !== undefined && process.env['PEDIGREE_ADMIN_TOKEN'] === undefined) {
    console.error(`pedigree: authenticate with the header  Authorization: Bearer ${config.auth.adminToken}`);
    console.error(`pedigree: (a server-wide admin token generated into ${adminTokenFile(config)}; set PEDIGREE_ADMIN_TOKEN or PEDIGREE_JWT_* to choose your own)`);
  }
}

/**
 * With no credential configured nobody could call the API, so a first start generates an
 * admin token, keeps it (mode 0600) next to the data directory so restarts reuse it, and
 * prints it. Configuring PEDIGREE_ADMIN_TOKEN or a JWT key turns this off.
 */
function withAdminToken(config: Config): Config {
  if (config.auth.adminToken !== undefined || config.auth.jwt.secret !== undefined || config.auth.jwt.jwksUrl !== undefined) return config;
  const file = adminTokenFile(config);
  let token = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (token.length < 16) {
    token = randomBytes(24).toString('base64url');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
  }
  return loadConfig(process.env, { auth: { adminToken: token } });
}

function adminTokenFile(config: Config): string {
  return join(dirname(config.neo4j.embedded.dataDir), 'admin-token');
}

/** The explorer is optional to the API: a failed build is reported and the API still starts. */
function buildWebApp(): void {
  try {
    ensureWebBuilt((line) => console.error(`pedigree: ${line}`));
  } catch (error) {
    if (!(error instanceof WebBuildError)) throw error;
    console.error(`pedigree: ${error.message}; serving the API without it`);
  }
}

class StartupError extends Error {}

function describeNeo4jFailure(config: Config, uri: string, error: unknown): string {
  const code = (error as { code?: string }).code ?? '';
  if (code.startsWith('Neo.ClientError.Security.')) {
    return `Neo4j at ${uri} refused the credentials: check NEO4J_USER and NEO4J_PASSWORD`;
  }
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return `cannot reach Neo4j at ${uri} within ${config.neo4j.startupTimeoutMs} ms (${reason}): check NEO4J_URI, or unset it to use the embedded Neo4j`;
}

main().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof EmbeddedNeo4jError || error instanceof StartupError;
  const listenError = (error as { code?: string }).code === 'EADDRINUSE';
  if (known) console.error(`pedigree: ${(error as Error).message}`);
  else if (listenError) console.error(`pedigree: port ${(error as { port?: number }).port ?? ''} is already in use: stop the other process or set PORT`);
  else console.error('pedigree: failed to start:', error);
  process.exit(1);
});
