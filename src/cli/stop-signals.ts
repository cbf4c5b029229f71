/** 128 + the signal's number: what a shell reports for a command the signal ended. */
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export type StopSignal = keyof typeof EXIT_CODES;

export function exitCodeFor(signal: StopSignal): number {
  return EXIT_CODES[signal];
}

export interface StopRequest {
  /** The signal that asked to stop, once one has. */
  readonly received: StopSignal | undefined;
  dispose(): void;
}

/**
 * Ctrl-C (SIGINT) or SIGTERM during a copy or sync: the first asks the command to start no new
 * transfer and report; a second one ends the process at once, losing only the parts in flight
 * (the multipart upload stays for the next run to resume).
 */
export function listenForStop(onFirst: (signal: StopSignal) => void): StopRequest {
  let received: StopSignal | undefined;
  const removers = (Object.keys(EXIT_CODES) as StopSignal[]).map((name) => {
    const handler = () => {
      if (received === undefined) {
        received = name;
        onFirst(name);
        return;
      }
      process.stderr.write(
        `s3xsync: ${name} again: stopped at once; a rerun resumes from the stored parts\n`,
      );
      process.exit(EXIT_CODES[name]);
    };
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  return {
    get received() {
      return received;
    },
    dispose() {
      for (const remove of removers) remove();
    },
  };
}
