// What the domain says when it refuses: a small set of error kinds, each with a stable
// snake_case code and a sentence a person can act on. The domain knows nothing of HTTP; the
// one error handler, in the HTTP layer, turns each kind into a status and the body of CONTRACT §3.

export abstract class DomainError extends Error {
  constructor(
    /** snake_case, stable: clients branch on it. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The request itself is wrong: a field, a combination of fields, a value out of range. */
export class InvalidInput extends DomainError {
  constructor(
    code: string,
    message: string,
    /** The field at fault, as a path (`flows[0].payload.cardOptions.expires`), when there is one. */
    readonly field?: string,
  ) {
    super(code, message);
  }
}

/** What the request names does not exist (or is not the caller's to see). */
export class NotFound extends DomainError {}

/** The request clashes with what is stored: an id used for something else, the last of a kind. */
export class Conflict extends DomainError {}

/** The thing exists but its state does not allow this (a closed card, an unpublished template). */
export class InvalidState extends DomainError {}

/** A limit was reached; trying again after `retryAfterSeconds` may succeed. */
export class LimitReached extends DomainError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message);
  }
}

/** The request repeats something that cannot be repeated differently (a reused Idempotency-Key). */
export class Unrepeatable extends DomainError {}

/** No or bad credentials. */
export class Unauthorized extends DomainError {}

/** Good credentials that may not do this. */
export class Forbidden extends DomainError {}
