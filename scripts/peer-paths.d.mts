export type PeerName = "rclone" | "s5cmd" | "s3raw";
export declare const PEERS: Record<"rclone" | "s5cmd", { module: string; versionArgs: string[] }>;
export declare const LOCAL_TOOLS: Record<"s3raw", { dir: string; versionArgs: string[] }>;
export declare function peerBinaryPath(name: PeerName): string;
