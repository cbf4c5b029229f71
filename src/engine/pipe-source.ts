import { finished, PassThrough, type Readable, type Writable } from "node:stream";
import { DigestingStream, type ReadDigest } from "./digesting-stream.js";
import { IntegrityError, isConnectionCut, labelError, StallError } from "./errors.js";
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
 * A cut that comes less than a MiB after the read's last start is fruitless. A read goes on after
 * three of them and any number of others; the fourth fails its attempt. Every rest read then moves
 * a MiB or spends one of three, so a server that cuts every answer early cannot keep a read going.
 */
const FRUITFUL_BYTES = 1024 * 1024;
const MAX_FRUITLESS_RESUMES = 3;

/**
 * Pipes one source read into `into` across cuts of its connection: the rest of the same version
 * is read from the byte reached (see SourceBody.rest), where a failed attempt would send the whole
 * part again over the link. The link at the source resets every ~300 MB on cross-border, and a
 * part of a source laid out in 64 MiB parts takes 16 s to read there at 4 MB/s. A cut while
 * `signal` is aborted is the abort's (a stall, a hedge, a cancel, the upload failing): it ends
 * the read. Settles as a pipeline would, once `into` has taken the last byte or failed. The bodies
 * are piped straight in: an async generator between them took 1-4 CPU-s more per GiB on
 * cross-border, a PassThrough 0.3 more on loopback (measured).
 */
function pipeResuming(first: SourceBody, into: Writable, signal: AbortSignal): Promise<void> {
  const { rest } = first;
  let current = first.body;
  let offset = 0;
  let fruitless = 0;
  const follow = (body: Readable) => {
    current = body;
    const startedAt = offset;
    body.on("data", (chunk: Uint8Array) => {
      offset += chunk.length;
    });
    // finished() also answers for a body already errored or destroyed while it waited for a slot.
    finished(body, (error) => {
      if (!error) {
        into.end();
        return;
      }
      body.unpipe(into);
      if (offset - startedAt < FRUITFUL_BYTES) fruitless++;
      const resumable =
        !into.destroyed &&
        !signal.aborted &&
        rest !== undefined &&
        fruitless <= MAX_FRUITLESS_RESUMES &&
        offset < first.contentLength &&
        isConnectionCut(error);
      if (!resumable) {
        into.destroy(error);
        return;
      }
      rest(offset, signal).then(
        (read) => (into.destroyed ? read.body.destroy() : follow(read.body)),
        (failure: unknown) => into.destroy(failure as Error),
      );
    });
    body.pipe(into, { end: false });
  };
  return new Promise((resolve, reject) => {
    finished(into, { readable: false }, (error) => {
      current.destroy();
      if (error) reject(error);
      else resolve();
    });
    follow(first.body);
  });
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
    const reading = pipeResuming(source, digesting, controller.signal).then(() => {
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
