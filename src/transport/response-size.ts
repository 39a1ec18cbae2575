/**
 * The response size limit on both transports: a serialized answer over `maxBytes` is replaced
 * by one LIMIT_EXCEEDED error, so a request cannot make the gateway send more than that. (What
 * it may make the gateway build is bounded before execution by the work limit, src/graphql/schema/work.ts.)
 */
import type { RequestHandler } from 'express';

export function responseTooLarge(maxBytes: number): string {
  return JSON.stringify({
    data: null,
    errors: [
      {
        message: `the response exceeds ${maxBytes} bytes; ask for less (a smaller limit or first, fewer fields or ids)`,
        extensions: { code: 'LIMIT_EXCEEDED', limit: 'responseBytes', max: maxBytes },
      },
    ],
  });
}

/** The serialized result, or the LIMIT_EXCEEDED answer when it is over `maxBytes`. */
export function capResponse(json: string, maxBytes: number): string {
  // A UTF-8 byte is at least one UTF-16 unit and at most three: decide by length when it can.
  if (json.length * 3 <= maxBytes) return json;
  return json.length > maxBytes || Buffer.byteLength(json) > maxBytes ? responseTooLarge(maxBytes) : json;
}

/** Express middleware: string bodies sent on this route (Apollo sends complete results as one string) are capped. */
export function capResponses(maxBytes: number): RequestHandler {
  return (_req, res, next) => {
    const send = res.send.bind(res);
    res.send = ((body?: unknown) => send(typeof body === 'string' ? capResponse(body, maxBytes) : body)) as typeof res.send;
    next();
  };
}
