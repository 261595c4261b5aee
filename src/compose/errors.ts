import { InvalidArgumentError } from '../util/errors.js';

/** A Compose file problem, named by file and key path: `compose.yaml: services.web.ports[0]: ...`. */
export class ComposeFileError extends InvalidArgumentError {
  constructor(file: string, path: string, message: string) {
    super(`${file}${path ? `: ${path}` : ''}: ${message}`);
  }
}
