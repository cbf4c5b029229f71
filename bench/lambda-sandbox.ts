// A Lambda-sized sandbox for one process, from cgroup v1 (as root): the CPU share Lambda gives a
// function of that memory (1,769 MB is one vCPU, in proportion below and above) as a CFS quota,
// and the memory itself as a hard limit, so a run that would not fit is killed as Lambda kills it.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const CGROUP_ROOT = "/sys/fs/cgroup";
const CPU_PERIOD_US = 100_000;
/**
 * Weight against the machine's other processes (1,024 each): Lambda guarantees a function its
 * share, so on a busy machine (load average 15-17 on 2 cores while this was written) the sandbox
 * must get its quota rather than a fifteenth of the cores. The quota still caps it.
 */
const CPU_SHARES = 8192;
/**
 * The same for the servers and the link model, which stand in for S3 and the network: without it
 * they got so little CPU on that machine that 256, 512 and 1,024 MB copied equally fast (19-21 MB/s
 * on loopback, the sandbox at 1,024 MB using 0.21 of its 0.58 CPU). No quota: they take what they need.
 */
const PEER_SHARES = 4096;
/** Lambda: one full vCPU at 1,769 MB, in proportion to memory. */
export const MB_PER_VCPU = 1769;

export function vcpuShare(memoryMb: number): number {
  return memoryMb / MB_PER_VCPU;
}

/** Why sandboxes cannot be made here, or undefined when they can. */
export function sandboxUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "a cgroup CPU quota needs root";
  for (const controller of ["cpu", "memory"]) {
    if (!existsSync(join(CGROUP_ROOT, controller, "cgroup.procs"))) {
      return `no cgroup v1 ${controller} controller at ${join(CGROUP_ROOT, controller)}`;
    }
  }
  return undefined;
}

/**
 * Moves this process (and so the servers it starts afterwards) into a CPU group weighted like
 * PEER_SHARES processes; the returned function moves whatever is in the group back to the root
 * group and removes it.
 */
export function prioritizePeers(name: string): () => void {
  const group = join(CGROUP_ROOT, "cpu", name);
  mkdirSync(group, { recursive: true });
  writeFileSync(join(group, "cpu.shares"), String(PEER_SHARES));
  writeFileSync(join(group, "cgroup.procs"), String(process.pid));
  return () => {
    // Everything still in the group (this process; a server's watchdog on its way out) goes back.
    const pids = readFileSync(join(group, "cgroup.procs"), "utf8").split("\n").filter(Boolean);
    for (const pid of pids) {
      try {
        writeFileSync(join(CGROUP_ROOT, "cpu", "cgroup.procs"), pid);
      } catch {
        // ended meanwhile
      }
    }
    rmdirSync(group);
  };
}

export interface LambdaSandbox {
  memoryMb: number;
  /** The shell command that moves itself into the sandbox and then runs `command` there. */
  wrap(command: string[]): string[];
  /** Processes the memory limit killed since the sandbox was made. */
  oomKills(): number;
  /** Seconds the quota held the sandbox's processes back since it was made. */
  throttledSeconds(): number;
  /** Removes the groups; the processes in them must have ended. */
  remove(): void;
}

/** Makes the groups `NAME` under the cpu and memory controllers for a function of `memoryMb`. */
export function createSandbox(name: string, memoryMb: number): LambdaSandbox {
  const cpu = join(CGROUP_ROOT, "cpu", name);
  const memory = join(CGROUP_ROOT, "memory", name);
  for (const dir of [cpu, memory]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(cpu, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
  writeFileSync(join(cpu, "cpu.cfs_quota_us"), String(Math.round(vcpuShare(memoryMb) * CPU_PERIOD_US)));
  writeFileSync(join(cpu, "cpu.shares"), String(CPU_SHARES));
  // Lambda's "MB" of memory are MiB.
  writeFileSync(join(memory, "memory.limit_in_bytes"), String(memoryMb * 1024 * 1024));
  const procs = [cpu, memory].map((dir) => join(dir, "cgroup.procs"));
  return {
    memoryMb,
    wrap: (command) => [
      "/bin/sh",
      "-c",
      `${procs.map((file) => `echo $$ > ${file}`).join(" && ")} && exec "$@"`,
      "sandbox",
      ...command,
    ],
    oomKills: () => {
      const match = /^oom_kill (\d+)$/m.exec(readFileSync(join(memory, "memory.oom_control"), "utf8"));
      return match ? Number(match[1]) : 0;
    },
    throttledSeconds: () => {
      const match = /^throttled_time (\d+)$/m.exec(readFileSync(join(cpu, "cpu.stat"), "utf8"));
      return match ? Number(match[1]) / 1e9 : 0;
    },
    remove: () => {
      for (const dir of [cpu, memory]) if (existsSync(dir)) rmdirSync(dir);
    },
  };
}
