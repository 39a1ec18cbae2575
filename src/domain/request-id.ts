/** The request id a response carries in X-Request-Id and its log lines: the client's when it is a sane token. */
import { randomUUID } from 'node:crypto';

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[A-Za-z0-9._-]{1,100}$/.test(value) ? value : randomUUID();
}
