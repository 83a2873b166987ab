export interface MotoServer {
  endpoint: string;
  version: string;
  reset(): Promise<void>;
  stop(): Promise<void>;
}
export function startMotoServer(): Promise<MotoServer>;
export function freePort(): Promise<number>;
