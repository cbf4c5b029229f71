export declare const MINIO_MODULE: string;
export declare function repoRoot(): string;
export declare function minioBinDir(): string;
export declare function minioBinaryPath(): string;
