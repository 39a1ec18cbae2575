/**
 * The page's one door to the gateway: GraphQL over HTTP POST to /graphql with the signed-in
 * token, and graphql-ws on the same path for versionEvents. Every failure becomes an ApiError
 * whose kind the page turns into a message (never a blank page).
 */
import { createClient, type Client } from 'graphql-ws';

export type ErrorKind = 'unauthenticated' | 'network' | 'not-found' | 'forbidden' | 'other';

export class ApiError extends Error {
  override name = 'ApiError';
  readonly kind: ErrorKind;
  readonly code: string | undefined;
  constructor(kind: ErrorKind, message: string, code?: string) {
    super(message);
    this.kind = kind;
    this.code = code;
  }
}

interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string };
}

export const GRAPHQL_PATH = '/graphql';

function kindOf(code: string | undefined): ErrorKind {
  switch (code) {
    case 'UNAUTHENTICATED':
      return 'unauthenticated';
    case 'NOT_FOUND':
      return 'not-found';
    case 'FORBIDDEN':
      return 'forbidden';
    case 'UNAVAILABLE':
      return 'network';
    default:
      return 'other';
  }
}

/** Runs one operation; resolves its data or rejects with an ApiError. */
export async function request<T>(token: string, query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError('network', 'Cannot reach the Pedigree gateway: check your network connection, then retry.');
  }
  let body: { data?: T | null; errors?: GraphQLErrorShape[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ApiError(response.status >= 500 ? 'network' : 'other', `The gateway answered HTTP ${response.status} without a GraphQL result.`);
  }
  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code;
    throw new ApiError(kindOf(code), first.message, code);
  }
  if (!body.data) throw new ApiError('other', 'The gateway answered without data.');
  return body.data;
}

/** A graphql-ws client authenticated with the token, retrying for as long as the page is open. */
export function createLiveClient(token: string, on: { connected(): void; closed(): void; refused(): void }): Client {
  const url = new URL(GRAPHQL_PATH, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return createClient({
    url: url.href,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: Number.POSITIVE_INFINITY,
    // graphql-ws doubles its wait without bound (over a minute after six failures); a view
    // should be live again within seconds of the gateway's return.
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 500 * 2 ** retries) * (0.5 + Math.random() / 2))),
    // 4403: the gateway refused the token (expired or revoked): retrying cannot help.
    shouldRetry: (event) => !(event instanceof CloseEvent && event.code === 4403),
    on: {
      connected: () => on.connected(),
      closed: (event) => {
        if (event instanceof CloseEvent && event.code === 4403) on.refused();
        else on.closed();
      },
    },
  });
}
