/** The one error type of nspod: a code for programs, a message and a hint for people. */
export type ErrorCode =
  | 'INVALID_SPEC'
  | 'INVALID_NAME'
  | 'POD_EXISTS'
  | 'POD_NOT_FOUND'
  | 'CONTAINER_NOT_FOUND'
  | 'RUNTIME_FAILED'
  | 'RUNTIME_MISSING'
  | 'RUNTIME_UNSUPPORTED_HOST'
  | 'IMAGE_NOT_FOUND'
  | 'IMAGE_INVALID'
  | 'MOUNT_FAILED'
  | 'PAUSE_GONE'
  | 'STATE_CORRUPT'
  | 'TIMEOUT'
  | 'NETWORK_FAILED'
  | 'NOT_ROOT'
  | 'INTERNAL';

export class NspodError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NspodError';
    this.code = code;
    this.hint = options.hint;
  }

  /** `<message> (<hint>)`: the one line the CLI prints. */
  oneLine(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

export function isNspodError(e: unknown, code?: ErrorCode): e is NspodError {
  return e instanceof NspodError && (code === undefined || e.code === code);
}

export function errorMessage(e: unknown): string {
  if (e instanceof NspodError) return e.oneLine();
  if (e instanceof Error) return e.message;
  return String(e);
}
