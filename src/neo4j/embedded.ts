/**
 * Launches the embedded default: the Neo4j of neo4j/ (a Maven project) in a child JVM with
 * Bolt on 127.0.0.1. Builds it with Maven on first use (or when its sources change), waits
 * for its ready line and returns the Bolt URI. Every failure a user can fix rejects with an
 * EmbeddedNeo4jError whose message is one line saying what to do.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';

export const NEO4J_PROJECT_DIR = join(import.meta.dirname, '..', '..', 'neo4j');
const JAR = join(NEO4J_PROJECT_DIR, 'target', 'pedigree-neo4j.jar');
const MAIN_CLASS = 'dev.pedigree.neo4j.EmbeddedNeo4j';
const READY = /^PEDIGREE_NEO4J_READY (\S+)$/;

export class EmbeddedNeo4jError extends Error {
  override name = 'EmbeddedNeo4jError';
}

export interface EmbeddedNeo4jOptions {
  readonly port: number;
  readonly dataDir: string;
  readonly pagecache?: string;
  readonly heap?: string;
  /**
   * A directory of jars (e.g. APOC Core and its dependencies), put on the JVM's class path, so
   * that their extensions load, and used as Neo4j's plugins directory, so that their procedures
   * and functions register. Pedigree needs none.
   */
  readonly plugins?: string;
  /** Stop the JVM when this process goes away, even by SIGKILL (stdin EOF). */
  readonly tieToParent?: boolean;
  /** Where the JVM's own stderr goes; default: collected and reported on failure. */
  readonly stdio?: 'inherit' | 'collect';
  readonly startupTimeoutMs?: number;
}

export interface EmbeddedNeo4j {
  readonly uri: string;
  readonly process: ChildProcess;
  /** SIGTERM, then wait for a clean shutdown (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export function ensureBuilt(log: (line: string) => void = () => {}): void {
  requireCommand('java', ['-version'], 'Java 17+ is required for the embedded Neo4j: install a JDK (e.g. apt-get install openjdk-17-jdk) or set NEO4J_URI to a running Neo4j');
  if (isBuildCurrent()) return;
  requireCommand('mvn', ['-v'], 'Maven is required to build the embedded Neo4j: install it (e.g. apt-get install maven) or set NEO4J_URI to a running Neo4j');
  log('building the embedded Neo4j with Maven (first run downloads about 130 MB)...');
  const build = spawnSync('mvn', ['-q', '-B', '-f', join(NEO4J_PROJECT_DIR, 'pom.xml'), 'package'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    const detail = `${build.stdout}\n${build.stderr}`.split('\n').find((line) => line.includes('ERROR')) ?? 'see mvn -f neo4j/pom.xml package';
    throw new EmbeddedNeo4jError(`building the embedded Neo4j failed: ${detail.trim()}`);
  }
}

export async function startEmbeddedNeo4j(options: EmbeddedNeo4jOptions): Promise<EmbeddedNeo4j> {
  const args = [
    `-Xmx${options.heap ?? '1g'}`,
    '-XX:+UseG1GC',
    ...(options.plugins === undefined ? ['-jar', JAR] : ['-cp', `${JAR}${delimiter}${join(options.plugins, '*')}`, MAIN_CLASS, '--plugins', options.plugins]),
    '--port',
    String(options.port),
    '--data',
    options.dataDir,
    '--pagecache',
    options.pagecache ?? '512m',
  ];
  if (options.tieToParent) args.push('--exit-on-stdin-eof');
  const child = spawn('java', args, {
    stdio: [options.tieToParent ? 'pipe' : 'ignore', 'pipe', options.stdio === 'inherit' ? 'inherit' : 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new EmbeddedNeo4jError(`the embedded Neo4j did not start within ${options.startupTimeoutMs ?? 120_000} ms`));
    }, options.startupTimeoutMs ?? 120_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = READY.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new EmbeddedNeo4jError(`cannot run java: ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = stderr.split('\n').find((l) => l.startsWith('pedigree-neo4j: '));
      reject(new EmbeddedNeo4jError(line ?? `the embedded Neo4j exited with code ${code} before it was ready: ${stderr.trim().split('\n').at(-1) ?? ''}`));
    });
  });

  return {
    uri,
    process: child,
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function requireCommand(command: string, args: string[], hint: string): void {
  const probe = spawnSync(command, args, { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) throw new EmbeddedNeo4jError(hint);
}

function isBuildCurrent(): boolean {
  if (!existsSync(JAR) || !existsSync(join(NEO4J_PROJECT_DIR, 'target', 'lib'))) return false;
  const built = statSync(JAR).mtimeMs;
  const sources = [join(NEO4J_PROJECT_DIR, 'pom.xml'), ...listFiles(join(NEO4J_PROJECT_DIR, 'src'))];
  return sources.every((file) => statSync(file).mtimeMs <= built);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}
