/** 128 + the signal's number: what a shell reports for a command the signal ended. */
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export type StopSignal = keyof typeof EXIT_CODES;

export function exitCodeFor(signal: StopSignal): number {
  return EXIT_CODES[signal];
}

export interface StopRequest {
  /** The signal that asked to stop, once one has. */
  readonly received: StopSignal | undefined;
  /** Aborted by the first signal. */
  readonly signal: AbortSignal;
  dispose(): void;
}

function announceForcedStop(signal: StopSignal): void {
  process.stderr.write(`s3xsync: ${signal} again: stopped at once; a rerun resumes from the stored parts\n`);
}

/**
 * Ctrl-C (SIGINT) or SIGTERM: the first asks the command to stop gracefully (copy and sync start
 * no new transfer and report; watch finishes or hands back what it holds); a second one ends the
 * process at once, after `onForced` says so, losing only the parts in flight (a multipart upload
 * stays for the next run to resume).
 */
export function listenForStop(
  onFirst: (signal: StopSignal) => void,
  onForced: (signal: StopSignal) => void = announceForcedStop,
): StopRequest {
  let received: StopSignal | undefined;
  const controller = new AbortController();
  const removers = (Object.keys(EXIT_CODES) as StopSignal[]).map((name) => {
    const handler = () => {
      if (received === undefined) {
        received = name;
        controller.abort();
        onFirst(name);
        return;
      }
      onForced(name);
      process.exit(EXIT_CODES[name]);
    };
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  return {
    get received() {
      return received;
    },
    signal: controller.signal,
    dispose() {
      for (const remove of removers) remove();
    },
  };
}
