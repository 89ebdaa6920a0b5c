/** The one error type of nspod: a code for programs, a message and a hint for people. */
export type ErrorCode =
  | 'INVALID_SPEC'
  | 'CONFIG_NOT_FOUND'
  | 'POD_EXISTS'
  | 'POD_NOT_FOUND'
  | 'POD_RUNNING'
  | 'CONTAINER_NOT_FOUND'
  | 'RUNTIME_FAILED'
  | 'RUNTIME_MISSING'
  | 'RUNTIME_UNSUPPORTED_HOST'
  | 'IMAGE_NOT_FOUND'
  | 'IMAGE_INVALID'
  | 'IMAGE_IN_USE'
  | 'MOUNT_FAILED'
  | 'PAUSE_GONE'
  | 'STATE_CORRUPT'
  | 'TIMEOUT'
  | 'NETWORK_FAILED'
  | 'PORT_NOT_PUBLISHED'
  | 'PROFILE_INVALID'
  | 'INTERNAL';

export class NspodError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** Every problem found, one line each (an invalid spec may have several); the first is the message. */
  readonly problems: readonly string[];

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown; problems?: readonly string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NspodError';
    this.code = code;
    this.hint = options.hint;
    this.problems = options.problems ?? [message];
  }

  /**
   * `e` as an NspodError whose message starts with what was being done (`pod web: ...`), keeping its code and hint;
   * `fallback` is the code of an error that was not an NspodError.
   */
  static wrap(e: unknown, context: string, fallback: ErrorCode = 'INTERNAL'): NspodError {
    const hint = e instanceof NspodError ? e.hint : undefined;
    return new NspodError(e instanceof NspodError ? e.code : fallback, `${context}: ${errorMessage(e, false)}`, {
      cause: e,
      ...(hint ? { hint } : {}),
    });
  }

  /** `<message> (<hint>)`: the one line the CLI prints. */
  oneLine(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

export function isNspodError(e: unknown, code?: ErrorCode): e is NspodError {
  return e instanceof NspodError && (code === undefined || e.code === code);
}

/** An error's message; an NspodError's with its hint unless `withHint` is false. */
export function errorMessage(e: unknown, withHint = true): string {
  if (e instanceof NspodError) return withHint ? e.oneLine() : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
