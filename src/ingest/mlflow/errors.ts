/**
 * MLflow's error shape, `{"error_code", "message"}`, and the HTTP statuses MLflow's server
 * answers with. Pedigree's errors are mapped here, at the edge; anything that is not a
 * PedigreeError is masked as INTERNAL_ERROR by the router.
 *
 * One deliberate difference: a state error (a run that is no longer RUNNING) is INVALID_STATE
 * with 400, not MLflow's 500, because the client retries every 5xx with backoff for minutes.
 */
import type { PedigreeError } from '../../domain/errors.ts';

export class MlflowError extends Error {
  override name = 'MlflowError';
  readonly errorCode: string;
  readonly status: number;

  constructor(errorCode: string, message: string, status: number) {
    super(message);
    this.errorCode = errorCode;
    this.status = status;
  }
}

export function invalidParameter(message: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', message, 400);
}

export function doesNotExist(message: string): MlflowError {
  return new MlflowError('RESOURCE_DOES_NOT_EXIST', message, 404);
}

export function alreadyExists(message: string): MlflowError {
  return new MlflowError('RESOURCE_ALREADY_EXISTS', message, 400);
}

export function endpointNotFound(method: string, path: string): MlflowError {
  return new MlflowError('ENDPOINT_NOT_FOUND', `no MLflow endpoint ${method} ${path} here`, 404);
}

/** The MLflow form of one of Pedigree's errors. */
export function fromPedigree(error: PedigreeError): MlflowError {
  const code: string = error.code;
  switch (code) {
    case 'BAD_USER_INPUT':
      return invalidParameter(error.message);
    case 'NOT_FOUND':
      return doesNotExist(error.message);
    case 'CONFLICT':
      return 'status' in error.details ? new MlflowError('INVALID_STATE', error.message, 400) : alreadyExists(error.message);
    case 'UNAUTHENTICATED':
      return new MlflowError('UNAUTHENTICATED', error.message, 401);
    case 'FORBIDDEN':
    case 'POLICY_VIOLATION':
      return new MlflowError('PERMISSION_DENIED', error.message, 403);
    case 'LIMIT_EXCEEDED':
      return new MlflowError('RESOURCE_EXHAUSTED', error.message, 413);
    case 'RATE_LIMITED':
      return new MlflowError('REQUEST_LIMIT_EXCEEDED', error.message, 429);
    case 'UNAVAILABLE':
      return new MlflowError('TEMPORARILY_UNAVAILABLE', error.message, 503);
    case 'NOT_IMPLEMENTED':
      return new MlflowError('NOT_IMPLEMENTED', error.message, 501);
    default:
      return invalidParameter(error.message);
  }
}
