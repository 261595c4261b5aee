/**
 * Typed errors. Every error a user can see is a TspodError: the CLI prints
 * `Error: <message>` and exits with `exitCode`; the API maps `status` to HTTP.
 * Nothing else catches and rewords errors.
 */
export class TspodError extends Error {
  code = 'ENGINE';
  status = 500;
  exitCode = 125;
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options);
    this.name = new.target.name;
    if (options?.exitCode !== undefined) this.exitCode = options.exitCode;
  }
}

export class InvalidArgumentError extends TspodError {
  override code = 'INVALID_ARGUMENT';
  override status = 400;
}

/** A registry refused the username and password (login). */
export class InvalidCredentialsError extends TspodError {
  override code = 'INVALID_CREDENTIALS';
  override status = 401;
}

export class NoSuchImageError extends TspodError {
  override code = 'NO_SUCH_IMAGE';
  override status = 404;
}

export class NoSuchLayerError extends TspodError {
  override code = 'NO_SUCH_LAYER';
  override status = 404;
}

export class ImageInUseError extends TspodError {
  override code = 'IMAGE_IN_USE';
  override status = 409;
}

export class NoSuchContainerError extends TspodError {
  override code = 'NO_SUCH_CONTAINER';
  override status = 404;
}

export class NoSuchPodError extends TspodError {
  override code = 'NO_SUCH_POD';
  override status = 404;
}

export class NoSuchNetworkError extends TspodError {
  override code = 'NO_SUCH_NETWORK';
  override status = 404;
}

export class NoSuchVolumeError extends TspodError {
  override code = 'NO_SUCH_VOLUME';
  override status = 404;
}

export class NoSuchSecretError extends TspodError {
  override code = 'NO_SUCH_SECRET';
  override status = 404;
}

/** A path that does not exist in a container's (or the host's) file tree. */
export class NoSuchPathError extends TspodError {
  override code = 'NO_SUCH_PATH';
  override status = 404;
}

/** An operation the container's current state does not allow (podman's "container state improper"). */
export class ContainerStateError extends TspodError {
  override code = 'CONTAINER_STATE';
  override status = 409;
}

export class ConflictError extends TspodError {
  override code = 'CONFLICT';
  override status = 409;
}

/** Malformed input data: a tar, a manifest, a config file, a template. */
export class BadInputError extends TspodError {
  override code = 'BAD_INPUT';
  override status = 400;
}

/** A required external program is missing. */
export class MissingProgramError extends TspodError {
  override code = 'MISSING_PROGRAM';
  override status = 500;
  constructor(program: string, debianPackage: string) {
    super(`required program "${program}" not found: install the Debian package "${debianPackage}"`);
  }
}

export function isTspodError(e: unknown): e is TspodError {
  return e instanceof TspodError;
}

/** Message of any thrown value, without stack. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** An error as a worker thread posts it: a structured clone keeps no class. */
export interface PostedError {
  name: string;
  message: string;
  code?: string;
  tspod?: boolean;
}

export function postError(e: unknown): PostedError {
  return {
    name: e instanceof Error ? e.name : 'Error',
    message: errorMessage(e),
    code: typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : undefined,
    tspod: e instanceof TspodError,
  };
}

/** The posted error as one the main thread can report: its class when it matters to the user, else its message. */
export function rebuildPostedError(e: PostedError): Error {
  if (e.name === 'BadInputError') return new BadInputError(e.message);
  if (!e.tspod && e.code) return Object.assign(new Error(e.message), { code: e.code });
  return new TspodError(e.message);
}
