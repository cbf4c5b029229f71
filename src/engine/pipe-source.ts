import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DigestingStream } from "./digesting-stream.js";
import { IntegrityError } from "./errors.js";
import type { PartSink } from "./ordered-digest.js";
import type { SourceBody } from "./source-state.js";

export interface Piped<T> {
  result: T;
  md5Hex: string;
  bytes: number;
}

/**
 * Streams one source read straight into one upload request, taking the MD5 of the bytes on the
 * way. Nothing is buffered beyond the streams' own high-water marks; a `sink` (the ordered
 * whole-object MD5) sees every byte, and hears that the read is complete as soon as the last byte
 * has passed, before the upload is answered. A fault on either side aborts the other, and the
 * first fault is the error reported.
 */
export async function pipeSource<T>(
  open: (signal: AbortSignal) => Promise<SourceBody>,
  send: (body: Readable, contentLength: number, signal: AbortSignal) => Promise<T>,
  options: { onBytes?: (count: number) => void; sink?: PartSink; hash?: boolean } = {},
): Promise<Piped<T>> {
  const { sink } = options;
  const controller = new AbortController();
  try {
    const source = await open(controller.signal);
    const digesting = new DigestingStream(
      options.onBytes,
      sink && ((chunk) => sink.write(chunk)),
      options.hash ?? true,
    );
    const reading = pipeline(source.body, digesting).then(() => {
      if (digesting.bytes !== source.contentLength) {
        throw new IntegrityError(
          `read ${digesting.bytes} bytes where the source declared ${source.contentLength}`,
        );
      }
      const md5Hex = digesting.md5Hex();
      sink?.complete(md5Hex);
      return md5Hex;
    });
    reading.catch((error: unknown) => controller.abort(error));
    // The SDK wraps a streamed body for its checksum and re-emits the body's errors where nobody
    // listens: a source fault then crashed the process. The upload gets a stream of its own.
    const uploadBody = new PassThrough();
    digesting.pipe(uploadBody);
    try {
      const [result, md5Hex] = await Promise.all([
        send(uploadBody, source.contentLength, controller.signal),
        reading,
      ]);
      return { result, md5Hex, bytes: digesting.bytes };
    } catch (error) {
      controller.abort(error);
      source.body.destroy();
      digesting.destroy();
      uploadBody.destroy();
      throw controller.signal.reason ?? error;
    }
  } catch (error) {
    sink?.discard();
    throw error;
  }
}
