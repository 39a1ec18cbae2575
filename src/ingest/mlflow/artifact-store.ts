/**
 * The proxied artifact store: files under `<root>/<project id>/files/<path>`, each with its
 * sha256 (hex) in `<root>/<project id>/sha256/<path>`. Uploads stream to a temporary file in
 * the target directory while being hashed and counted (never buffered whole), and are renamed
 * into place only when complete and within the size limit, so a reader never sees half a
 * file and a refused upload leaves nothing behind.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidParameter, MlflowError } from './errors.ts';

export interface StoredFile {
  /** Relative to the listed directory. */
  readonly path: string;
  readonly isDir: boolean;
  readonly size: number | null;
}

export interface ArtifactStore {
  /** Streams `body` to `path`; resolves with its sha256 (hex) and size. RESOURCE_EXHAUSTED (413) over the limit. */
  put(projectId: string, path: string, body: Readable): Promise<{ sha256: string; size: number }>;
  /** A stream of the file, or null when there is no such file. */
  open(projectId: string, path: string): Promise<ReadStream | null>;
  /** The directory's direct entries (empty when it does not exist). */
  list(projectId: string, path: string): Promise<StoredFile[]>;
  /** Every file below `path` with its sha256, paths relative to it, sorted. */
  digestsUnder(projectId: string, path: string): Promise<{ path: string; sha256: string; size: number }[]>;
  readText(projectId: string, path: string, maxBytes: number): Promise<string | null>;
}

/** A relative artifact path without `.`/`..` segments, backslashes or control characters; '' is the root. */
export function checkArtifactPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (trimmed.length > 1024 || /[\\\u0000-\u001f]/.test(trimmed) || trimmed.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw invalidParameter(`Invalid artifact path '${path}'.`);
  }
  return posix.normalize(trimmed);
}

export function createArtifactStore(root: string, maxBytes: number): ArtifactStore {
  const projectDir = (projectId: string) => {
    if (!/^[A-Za-z0-9_-]+$/.test(projectId)) throw invalidParameter('invalid project');
    return join(root, projectId);
  };
  const fileOf = (projectId: string, path: string) => join(projectDir(projectId), 'files', ...checkArtifactPath(path).split('/'));
  const digestOf = (projectId: string, path: string) => join(projectDir(projectId), 'sha256', ...checkArtifactPath(path).split('/'));

  async function isFile(path: string): Promise<boolean> {
    return stat(path).then((s) => s.isFile(), () => false);
  }

  return {
    async put(projectId, path, body) {
      if (checkArtifactPath(path) === '') throw invalidParameter('An artifact path is required.');
      const target = fileOf(projectId, path);
      await mkdir(dirname(target), { recursive: true });
      const temporary = `${target}.upload-${randomUUID()}`;
      const hash = createHash('sha256');
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          if (size > maxBytes) {
            done(new MlflowError('RESOURCE_EXHAUSTED', `an artifact may hold at most ${maxBytes} bytes`, 413));
            return;
          }
          hash.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(body, meter, createWriteStream(temporary));
        const sha256 = hash.digest('hex');
        const sidecar = digestOf(projectId, path);
        await mkdir(dirname(sidecar), { recursive: true });
        await writeFile(sidecar, sha256);
        await rename(temporary, target);
        return { sha256, size };
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },

    async open(projectId, path) {
      const file = fileOf(projectId, path);
      return (await isFile(file)) ? createReadStream(file) : null;
    },

    async list(projectId, path) {
      const dir = fileOf(projectId, path);
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      const files: StoredFile[] = [];
      for (const entry of entries) {
        if (entry.name.includes('.upload-')) continue;
        const isDir = entry.isDirectory();
        files.push({ path: entry.name, isDir, size: isDir ? null : (await stat(join(dir, entry.name))).size });
      }
      return files.sort((a, b) => a.path.localeCompare(b.path));
    },

    async digestsUnder(projectId, path) {
      const base = checkArtifactPath(path);
      const found: { path: string; sha256: string; size: number }[] = [];
      const walk = async (relative: string): Promise<void> => {
        for (const entry of await this.list(projectId, relative ? `${base}/${relative}` : base)) {
          const child = relative ? `${relative}/${entry.path}` : entry.path;
          if (entry.isDir) await walk(child);
          else {
            const full = base ? `${base}/${child}` : child;
            const sha256 = (await readFile(digestOf(projectId, full), 'utf8').catch(() => '')).trim();
            found.push({ path: child, sha256, size: entry.size ?? 0 });
          }
        }
      };
      await walk('');
      return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },

    async readText(projectId, path, limit) {
      const file = fileOf(projectId, path);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile() || info.size > limit) return null;
      return readFile(file, 'utf8');
    },
  };
}
