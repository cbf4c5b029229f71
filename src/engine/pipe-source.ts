import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DigestingStream, type ReadDigest } from "./digesting-stream.js";
import { IntegrityError, labelError, StallError } from "./errors.js";
import type { PartSink } from "./ordered-digest.js";
import type { SourceBody } from "./source-state.js";

export interface Piped<T> {
  result: T;
  /** The digest of the bytes read, of the kind asked for (MD5 by default). */
  digest: string;
  bytes: number;
}

export interface PipeOptions {
  onBytes?: (count: number) => void;
  /** Every byte was read (the upload's answer may still be to come). */
  onAllRead?: () => void;
  sink?: PartSink;
  digest?: ReadDigest;
  /**
   * How long the transfer may go without a byte moving before it is aborted as stalled (asked once,
   * when it starts: in Lambda it shrinks with the time left).
   */
  stallTimeoutMs: () => number;
  /** Aborting it aborts the transfer with its reason (a hedge finished first, the copy was cancelled). */
  signal?: AbortSignal;
}

/** The signal of a transfer that a hedge and the copy's cancel (see ReplicateControl) may each abort. */
export function transferSignal(hedge: AbortSignal, cancel: AbortSignal | undefined): AbortSignal {
  return cancel ? AbortSignal.any([hedge, cancel]) : hedge;
}

/**
 * Aborts a transfer when no byte has moved for `ms`: a connection that stops delivering without
 * closing would otherwise hold its part for as long as the process lives. Which side stalled: the
 * target, when every byte was read and its answer does not come (the kernel's socket buffers take
 * several MiB at once, a whole part), or when the upload's buffer is full; otherwise the source,
 * which stopped sending (or never answered).
 */
function watchStalls(ms: number, abort: (error: StallError) => void, targetStalled: () => boolean) {
  const seconds = Math.round(ms / 100) / 10;
  const timer = setTimeout(() => {
    abort(
      new StallError(
        targetStalled()
          ? `target stalled: no bytes taken or answer given for ${seconds} s`
          : `source stalled: it sent no bytes for ${seconds} s`,
      ),
    );
  }, ms);
  timer.unref();
  return { moved: () => timer.refresh(), stop: () => clearTimeout(timer) };
}

/**
 * Streams one source read straight into one upload request, taking a digest of the bytes on the
 * way. Nothing is buffered beyond the streams' own high-water marks; a `sink` (the ordered
 * whole-object MD5) sees every byte, and hears that the read is complete as soon as the last byte
 * has passed, before the upload is answered. A fault on either side aborts the other, and the
 * first fault is the error reported.
 */
export async function pipeSource<T>(
  open: (signal: AbortSignal) => Promise<SourceBody>,
  send: (body: Readable, contentLength: number, signal: AbortSignal) => Promise<T>,
  options: PipeOptions,
): Promise<Piped<T>> {
  const { sink } = options;
  const controller = new AbortController();
  // The SDK wraps a streamed body for its checksum and re-emits the body's errors where nobody
  // listens: a source fault then crashed the process. The upload gets a stream of its own.
  const uploadBody = new PassThrough();
  let allRead = false;
  const stalls = watchStalls(
    options.stallTimeoutMs(),
    (error) => controller.abort(error),
    () => allRead || uploadBody.writableNeedDrain,
  );
  const cancel = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener("abort", cancel, { once: true });
  try {
    const source = await open(controller.signal);
    const digesting = new DigestingStream(
      (count) => {
        stalls.moved();
        options.onBytes?.(count);
      },
      sink && ((chunk) => sink.write(chunk)),
      options.digest ?? "md5",
    );
    const reading = pipeline(source.body, digesting).then(() => {
      if (digesting.bytes !== source.contentLength) {
        throw new IntegrityError(
          `read ${digesting.bytes} bytes where the source declared ${source.contentLength}`,
        );
      }
      allRead = true;
      options.onAllRead?.();
      const digest = digesting.digest();
      sink?.complete(digest);
      return digest;
    });
    // A body's errors come after the request has returned, past the client's label.
    reading.catch((error: unknown) => controller.abort(labelError(error, "source")));
    digesting.pipe(uploadBody);
    try {
      const [result, digest] = await Promise.all([
        send(uploadBody, source.contentLength, controller.signal),
        reading,
      ]);
      return { result, digest, bytes: digesting.bytes };
    } catch (error) {
      controller.abort(error);
      source.body.destroy();
      digesting.destroy();
      uploadBody.destroy();
      throw controller.signal.reason ?? error;
    }
  } catch (error) {
    sink?.discard();
    uploadBody.destroy();
    throw controller.signal.reason ?? error;
  } finally {
    stalls.stop();
    options.signal?.removeEventListener("abort", cancel);
  }
}
