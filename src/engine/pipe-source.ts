import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DigestingStream } from "./digesting-stream.js";
import { IntegrityError } from "./errors.js";
import type { SourceBody } from "./source-state.js";

export interface Piped<T> {
  result: T;
  md5Hex: string;
  bytes: number;
  /** The bytes themselves, when asked for (ordered whole-object MD5). */
  kept: Buffer[] | undefined;
}

/**
 * Streams one source read straight into one upload request, taking the MD5 of the bytes on the
 * way. Nothing is buffered beyond the streams' own high-water marks unless `keepChunks` is set.
 * A fault on either side aborts the other, and the first fault is the error reported.
 */
export async function pipeSource<T>(
  open: (signal: AbortSignal) => Promise<SourceBody>,
  send: (body: Readable, contentLength: number, signal: AbortSignal) => Promise<T>,
  options: { onBytes?: (count: number) => void; keepChunks?: boolean } = {},
): Promise<Piped<T>> {
  const controller = new AbortController();
  const source = await open(controller.signal);
  const digesting = new DigestingStream(options.onBytes, options.keepChunks);
  const piping = pipeline(source.body, digesting);
  piping.catch((error: unknown) => controller.abort(error));
  try {
    const [result] = await Promise.all([send(digesting, source.contentLength, controller.signal), piping]);
    if (digesting.bytes !== source.contentLength) {
      throw new IntegrityError(
        `read ${digesting.bytes} bytes where the source declared ${source.contentLength}`,
      );
    }
    return { result, md5Hex: digesting.md5Hex(), bytes: digesting.bytes, kept: digesting.kept };
  } catch (error) {
    controller.abort(error);
    source.body.destroy();
    digesting.destroy();
    throw controller.signal.reason ?? error;
  }
}
