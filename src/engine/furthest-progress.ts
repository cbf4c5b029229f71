/**
 * The progress of one piece of a copy (a part, a whole object) that several runs may move at once
 * (a hedge beside the first) or one after another (retries): only bytes past the furthest any run
 * has reached are reported. A progress display counts each byte of the object once and never
 * passes its size; the bytes the network carried are the drivers' liveness signal, not this.
 */
export class FurthestProgress {
  private furthest = 0;

  constructor(private readonly report: (bytes: number) => void) {}

  /** Counts one run's bytes from its first. */
  run(): (count: number) => void {
    let reached = 0;
    return (count) => {
      reached += count;
      if (reached <= this.furthest) return;
      this.report(reached - this.furthest);
      this.furthest = reached;
    };
  }
}
