import type { AwsCredentialIdentity } from "@aws-sdk/types";
import { describe, expect, it } from "vitest";
import type { Engine } from "../engine/index.js";
import { type KeyedEngine, TargetEngines } from "./target-engines.js";

function fakeBuild() {
  const built: (KeyedEngine & { destroyed: number })[] = [];
  const build = (credentials: AwsCredentialIdentity) => {
    const entry = {
      engine: { keys: credentials.accessKeyId } as unknown as Engine,
      destroyed: 0,
      target: { destroy: () => entry.destroyed++ },
    };
    built.push(entry);
    return entry;
  };
  return { built, build };
}

describe("TargetEngines", () => {
  it("keeps one engine while the keys stay, and closes a rotated key's client only when told no task runs", async () => {
    let keys: AwsCredentialIdentity = { accessKeyId: "AK1", secretAccessKey: "SK" };
    const { built, build } = fakeBuild();
    const engines = new TargetEngines(async () => keys, build);
    const first = await engines.current();
    expect(await engines.current()).toBe(first);
    expect(built.length).toBe(1);

    keys = { accessKeyId: "AK2", secretAccessKey: "SK" };
    const second = await engines.current();
    expect(second).not.toBe(first);
    // A task of this invocation may still run on the old engine.
    expect(built[0]?.destroyed).toBe(0);

    engines.closeRetired();
    expect(built.map((b) => b.destroyed)).toEqual([1, 0]);
    engines.closeRetired();
    expect(built.map((b) => b.destroyed)).toEqual([1, 0]);
  });
});
