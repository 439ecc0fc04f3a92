/**
 * The small set of error categories every service uses. Each maps to one HTTP status; domain errors
 * extend a category and carry their own fields. Check by `category`, not `instanceof`, across packages.
 */
export type ErrorCategory =
  | 'InputError'
  | 'NotFoundError'
  | 'ConflictError'
  | 'AuthenticationError'
  | 'NotAllowedError'
  | 'UnavailableError'
  | 'PayloadTooLargeError'
  | 'UnsupportedMediaTypeError'
  | 'MethodNotAllowedError'
  | 'TooManyRequestsError'
  | 'InternalError';

const statusByCategory: Record<ErrorCategory, number> = {
  InputError: 400,
  AuthenticationError: 401,
  NotAllowedError: 403,
  NotFoundError: 404,
  MethodNotAllowedError: 405,
  ConflictError: 409,
  PayloadTooLargeError: 413,
  UnsupportedMediaTypeError: 415,
  TooManyRequestsError: 429,
  UnavailableError: 503,
  InternalError: 500,
};

/** One problem with one field of a request, as `path` (e.g. `approverGroups.0.required`) and message. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Base class of all ISD errors: a category, a stable `code`, and optional field issues. */
export class IsdError extends Error {
  readonly category: ErrorCategory;
  readonly code: string;
  readonly issues: FieldIssue[];

  constructor(
    category: ErrorCategory,
    message: string,
    options: { code?: string; issues?: FieldIssue[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = category;
    this.category = category;
    this.code =
      options.code ?? category.replace(/Error$/, '').replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c.toLowerCase());
    this.issues = options.issues ?? [];
  }

  get status(): number {
    return statusByCategory[this.category];
  }
}

/** The request is malformed or a field is invalid; `issues` name the fields. */
export class InputError extends IsdError {
  constructor(message: string, options: { code?: string; issues?: FieldIssue[]; cause?: unknown } = {}) {
    super('InputError', message, options);
  }
}

/** The addressed resource does not exist. */
export class NotFoundError extends IsdError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super('NotFoundError', message, options);
  }
}

/** The request conflicts with the resource's current state (e.g. a decision on a closed gate). */
export class ConflictError extends IsdError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super('ConflictError', message, options);
  }
}

/** The caller did not prove who it is. */
export class AuthenticationError extends IsdError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super('AuthenticationError', message, options);
  }
}

/** The caller is known but may not do this. */
export class NotAllowedError extends IsdError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super('NotAllowedError', message, options);
  }
}

/** A dependency (database, peer service) is not available; the request may succeed later. */
export class UnavailableError extends IsdError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super('UnavailableError', message, options);
  }
}

/** True for any ISD error, including ones created by another copy of this package. */
export function isIsdError(error: unknown): error is IsdError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as IsdError).category === 'string' &&
    (error as IsdError).category in statusByCategory
  );
}

/** The HTTP status for an ISD error category. */
export function statusForCategory(category: ErrorCategory): number {
  return statusByCategory[category];
}
