/**
 * APOC Core for the `@neo4j/graphql` peer, which requires it: it projects DateTime fields with
 * `apoc.date.convertFormat` (its REQUIRED_APOC_FUNCTIONS). Pedigree and the hand-written
 * queries use no APOC. Maven copies APOC Core and its dependencies (bench/peers/apoc/pom.xml,
 * pinned) into bench/.apoc/ on first use, reused while the pom's sha256 matches the stamp
 * written after a good copy; the benchmark's embedded Neo4j loads that directory as its plugins.
 * When Maven cannot fetch it, the run goes on without: the peer's questions that read a
 * DateTime are then reported unsupported with Neo4j's "Unknown function" error.
 */
import { fileURLToPath } from 'node:url';
import { installOnce, run } from '../lib/child.ts';

const POM = fileURLToPath(new URL('./apoc/pom.xml', import.meta.url));
const DIR = fileURLToPath(new URL('../.apoc/', import.meta.url));

/** The plugins directory holding APOC Core, copied as needed; null (logged) when it cannot be. */
export async function ensureApoc(log: (line: string) => void): Promise<string | null> {
  const error = await installOnce({ dir: DIR, source: POM, stampName: '.pom.sha256' }, async () => {
    log(`APOC Core for @neo4j/graphql: copying it into ${DIR} (mvn dependency:copy-dependencies)`);
    const copy = await run('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${DIR}`, '-DincludeScope=runtime'], log);
    return copy.code === 0 ? null : 'mvn dependency:copy-dependencies failed';
  });
  if (error === null) return DIR;
  log('APOC Core could not be copied: @neo4j/graphql rows that read a DateTime will say "Unknown function"');
  return null;
}
