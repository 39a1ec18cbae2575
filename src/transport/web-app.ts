/**
 * The lineage explorer (web/) as static files beside /graphql. The page is a client of the
 * public API only, so serving it is plain file serving: `/` answers web/dist/index.html and
 * `/assets/*` the hashed bundles (cached for a year, since their names change with their
 * content). The page keeps its whole state in the query string, so no other path needs a
 * fallback to index.html. When web/dist has not been built, `/` says how to build it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';

export const WEB_PROJECT_DIR = join(import.meta.dirname, '..', '..', 'web');
export const WEB_DIST_DIR = join(WEB_PROJECT_DIR, 'dist');

export class WebBuildError extends Error {
  override name = 'WebBuildError';
}

/** Mounts the explorer on `/` and `/assets`; call after the API routes. */
export function mountWebApp(app: Express, distDir: string = WEB_DIST_DIR): void {
  app.use('/assets', express.static(join(distDir, 'assets'), { immutable: true, maxAge: '1y', fallthrough: false, index: false }));
  app.get(['/', '/index.html'], (_req, res) => {
    const index = join(distDir, 'index.html');
    if (!existsSync(index)) {
      res.status(404).type('text/plain').send('The lineage explorer is not built: run `npm run build:web` (npm start builds it when missing).\n');
      return;
    }
    // The page itself is never cached, so a new build is picked up on the next load.
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
}

/**
 * Builds web/ with Vite when web/dist is missing or older than a source file, like the
 * embedded Neo4j's ensureBuilt. Needs the dev dependencies (vite, react, @xyflow/react, elkjs).
 * Throws a WebBuildError with a one-line reason when the build fails.
 */
export function ensureWebBuilt(log: (line: string) => void = () => {}): void {
  if (isWebBuildCurrent()) return;
  const vite = join(WEB_PROJECT_DIR, '..', 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) throw new WebBuildError('the lineage explorer needs building, but Vite is not installed: run `npm ci` (with dev dependencies)');
  log('building the lineage explorer with Vite...');
  const build = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: WEB_PROJECT_DIR, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (build.status !== 0) {
    const detail = `${build.stdout}\n${build.stderr}`.split('\n').find((line) => /error/i.test(line)) ?? 'see `npm run build:web`';
    throw new WebBuildError(`building the lineage explorer failed: ${detail.trim()}`);
  }
}

function isWebBuildCurrent(): boolean {
  const index = join(WEB_DIST_DIR, 'index.html');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  const sources = ['index.html', 'vite.config.ts', 'src'].map((name) => join(WEB_PROJECT_DIR, name)).filter(existsSync).flatMap(listFiles);
  return sources.every((file) => statSync(file).mtimeMs <= built);
}

function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => listFiles(join(path, entry.name)));
}
