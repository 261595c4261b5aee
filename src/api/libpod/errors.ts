/**
 * Errors on the libpod wire. The body is Podman's `{cause, message, response}`
 * plus the engine error's `errorcode` and `exitcode`, so a remote client raises
 * the same typed error, with the same exit code, as the local engine would.
 */
import {
  BadInputError,
  ConflictError,
  ContainerStateError,
  ImageInUseError,
  InvalidArgumentError,
  NoSuchContainerError,
  NoSuchImageError,
  NoSuchLayerError,
  NoSuchNetworkError,
  NoSuchPodError,
  NoSuchSecretError,
  NoSuchVolumeError,
  TspodError,
} from '../../util/errors.js';

export interface WireError {
  cause: string;
  message: string;
  response: number;
  errorcode?: string;
  exitcode?: number;
}

const CLASSES: Record<string, new (message: string, options?: { exitCode?: number }) => TspodError> = {
  INVALID_ARGUMENT: InvalidArgumentError,
  NO_SUCH_IMAGE: NoSuchImageError,
  NO_SUCH_LAYER: NoSuchLayerError,
  IMAGE_IN_USE: ImageInUseError,
  NO_SUCH_CONTAINER: NoSuchContainerError,
  NO_SUCH_POD: NoSuchPodError,
  NO_SUCH_NETWORK: NoSuchNetworkError,
  NO_SUCH_VOLUME: NoSuchVolumeError,
  NO_SUCH_SECRET: NoSuchSecretError,
  CONTAINER_STATE: ContainerStateError,
  CONFLICT: ConflictError,
  BAD_INPUT: BadInputError,
};

export function toWireError(err: unknown): WireError {
  const status = err instanceof TspodError ? err.status : 500;
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof TspodError && err.cause instanceof Error ? err.cause.message : message;
  const out: WireError = { cause, message, response: status };
  if (err instanceof TspodError) {
    out.errorcode = err.code;
    out.exitcode = err.exitCode;
  }
  return out;
}

/**
 * The typed error a wire error stands for. Without tspod's errorcode (a Podman
 * server), the status and the message choose, as Podman's bindings do.
 */
export function fromWireError(body: Partial<WireError> | undefined, status: number, fallback: string): TspodError {
  const message = typeof body?.message === 'string' && body.message ? body.message : fallback;
  const exitCode = typeof body?.exitcode === 'number' ? body.exitcode : undefined;
  let Class = body?.errorcode ? CLASSES[body.errorcode] : undefined;
  if (!Class && !body?.errorcode) {
    if (status === 404) {
      if (/no such container|no container with/.test(message)) Class = NoSuchContainerError;
      else if (/no such pod|no pod with/.test(message)) Class = NoSuchPodError;
      else if (/image not known|no such image/.test(message)) Class = NoSuchImageError;
      else if (/network not found|no such network/.test(message)) Class = NoSuchNetworkError;
      else if (/no such volume/.test(message)) Class = NoSuchVolumeError;
      else if (/no such secret/.test(message)) Class = NoSuchSecretError;
    } else if (status === 400) Class = InvalidArgumentError;
    else if (status === 409) Class = ConflictError;
  }
  const err = Class ? new Class(message, { exitCode }) : new TspodError(message, { exitCode });
  if (!Class) err.status = status;
  return err;
}
