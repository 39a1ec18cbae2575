/** `npm run neo4j`: the embedded Neo4j in the foreground (NEO4J_PORT, PEDIGREE_DATA_DIR). */
import { loadConfig } from '../src/config.ts';
import { EmbeddedNeo4jError, ensureBuilt, startEmbeddedNeo4j } from '../src/neo4j/embedded.ts';

try {
  const { embedded } = loadConfig().neo4j;
  ensureBuilt((line) => console.error(`neo4j: ${line}`));
  const neo4j = await startEmbeddedNeo4j({ ...embedded, stdio: 'inherit' });
  console.log(`neo4j: ready on ${neo4j.uri} (data in ${embedded.dataDir}); Ctrl-C stops it`);
  const stop = () => void neo4j.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  console.error(error instanceof EmbeddedNeo4jError ? `neo4j: ${error.message}` : error);
  process.exit(1);
}
