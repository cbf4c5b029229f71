export declare function motoVenvDir(): string;
export declare function motoPythonPath(venvDir?: string): string;
export declare function motoRequirementsPath(): string;
export declare function motoRequirement(): string;
export declare function motoVersion(): string;
