/** An event the handler cannot read: it fails the message (and so reaches the dead-letter queue). */
export class MalformedEventError extends Error {
  override name = "MalformedEventError";
}

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function field(value: unknown, path: string[]): unknown {
  let current = value;
  for (const name of path) current = isObject(current) ? current[name] : undefined;
  return current;
}

export function text(value: unknown, path: string[], what: string): string {
  const found = field(value, path);
  if (typeof found !== "string") throw new MalformedEventError(`${what}: "${path.join(".")}" is missing`);
  return found;
}
