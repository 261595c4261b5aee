import { inspectCommand } from '../container/inspect.js';

/** `image inspect`: the shared inspect command, narrowed to images. */
export default inspectCommand('image');
