import { inspectCommand } from './inspect.js';

export default inspectCommand();
