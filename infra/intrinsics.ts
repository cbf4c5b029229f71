import { Fn, Token } from "aws-cdk-lib";

type Tokenish = string | ReturnType<typeof Fn.conditionIf>;

/** `Fn::If` as a string-typed property value. */
export function ifString(condition: string, whenTrue: Tokenish, whenFalse: Tokenish): string {
  return Token.asString(Fn.conditionIf(condition, whenTrue, whenFalse));
}
