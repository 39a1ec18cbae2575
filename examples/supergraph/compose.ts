/**
 * Composes a supergraph from running subgraphs, as `rover supergraph compose` would: fetches each
 * subgraph's SDL (`{ _service { sdl } }`) and composes them with @apollo/composition.
 *
 *   COMPOSE_AUTHORIZATION='Bearer <token>' \
 *   node compose.ts accounts=http://localhost:4001/graphql pedigree=http://localhost:4000/graphql > supergraph.graphql
 *
 * Prints composition errors and exits 1 when there are any. Retries a subgraph that does not
 * answer yet for up to COMPOSE_WAIT_MS (default 60 s), so it can start next to them.
 */
import { writeFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

export interface Subgraph {
  readonly name: string;
  readonly url: string;
  /** E.g. an Authorization header: Pedigree answers only authenticated requests, `_service` included. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Composition {
  readonly errors: readonly string[];
  readonly supergraphSdl: string;
}

export async function fetchSdl(url: string, waitMs = 0, headers: Readonly<Record<string, string>> = {}): Promise<string> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ _service { sdl } }' }),
      });
      const body = (await response.json()) as { data?: { _service?: { sdl?: string } } };
      const sdl = body.data?._service?.sdl;
      if (sdl) return sdl;
      throw new Error(`${url} answered without _service.sdl`);
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

export async function composeSupergraph(subgraphs: readonly Subgraph[], waitMs = 0): Promise<Composition> {
  const services = await Promise.all(
    subgraphs.map(async ({ name, url, headers }) => ({ name, url, typeDefs: parse(await fetchSdl(url, waitMs, headers)) })),
  );
  const result = composeServices(services);
  return { errors: (result.errors ?? []).map((error) => error.message), supergraphSdl: result.supergraphSdl ?? '' };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const out = outIndex >= 0 ? args.splice(outIndex, 2)[1] : undefined;
  const subgraphs = args.map((arg) => {
    const [name, url] = arg.split(/=(.*)/s);
    if (!name || !url) throw new Error(`expected name=url, got '${arg}'`);
    // COMPOSE_AUTHORIZATION, e.g. 'Bearer <token>', is sent to every subgraph.
    const authorization = process.env['COMPOSE_AUTHORIZATION'];
    return { name, url, ...(authorization ? { headers: { authorization } } : {}) };
  });
  const { errors, supergraphSdl } = await composeSupergraph(subgraphs, Number(process.env['COMPOSE_WAIT_MS'] ?? 60_000));
  if (errors.length) {
    for (const error of errors) console.error(error);
    process.exit(1);
  }
  if (out) writeFileSync(out, supergraphSdl);
  else process.stdout.write(supergraphSdl);
}
