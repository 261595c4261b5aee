/**
 * The JSON-message streams of pull, push, import, load and build: one JSON
 * object per line, begun with the first message. An error before anything was
 * sent is still an HTTP error with its status (what `docker pull` reports as
 * "Error response from daemon"); after that it becomes a message in the stream
 * (`{"errorDetail":{"message":...},"error":...}`), as Docker sends it.
 */
import type { ServerResponse } from 'node:http';
import { sendError } from './http.js';
import { jsonLines } from './streams.js';

export interface ProgressStream {
  send(message: Record<string, unknown>): void;
  /** Ends the stream; an error becomes the last message, or the whole answer when nothing was sent yet. */
  end(err?: unknown): void;
  /** Whether the client went away (nothing more is written then). */
  readonly closed: boolean;
}

export function progressStream(res: ServerResponse): ProgressStream {
  let lines: ReturnType<typeof jsonLines> | undefined;
  let closed = false;
  res.once('close', () => {
    closed = true;
  });
  return {
    send(message) {
      if (closed) return;
      lines ??= jsonLines(res);
      lines.send(message);
    },
    end(err) {
      if (err !== undefined && !lines) {
        sendError(res, err);
        return;
      }
      if (err !== undefined && !closed) {
        const message = err instanceof Error ? err.message : String(err);
        lines!.send({ errorDetail: { message }, error: message });
      }
      (lines ??= jsonLines(res)).end();
    },
    get closed() {
      return closed;
    },
  };
}
