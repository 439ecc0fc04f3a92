/** A Kubernetes API error: rendered as a `metav1.Status` body with this HTTP code and reason. */
export class StatusError extends Error {
  override readonly name = 'StatusError';

  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The `metav1.Status` object kubectl decodes and prints as `Error from server (<reason>): <message>`. */
  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      details: this.details,
      code: this.code,
    };
  }
}

/** 404 `NotFound` for one object, worded as the apiserver words it. */
export function notFound(resource: string, name: string, group = ''): StatusError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new StatusError(404, 'NotFound', `${qualified} "${name}" not found`, { name, group, kind: resource });
}

/** 400 `BadRequest` naming what was wrong with the request. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** 422 `Invalid` with the field in `details.causes`, which kubectl prints as `* <field>: <message>`. */
export function invalid(message: string, field: string): StatusError {
  return new StatusError(422, 'Invalid', message, { causes: [{ reason: 'FieldValueInvalid', message, field }] });
}
