/**
 * A WebSocket client for the benchmarks: `ws` from node_modules (a dependency of wrangler's;
 * Node 20 has no WebSocket without a flag), typed here for what the sections use — the desk's
 * consoles and the CPU profiler's inspector connection.
 */
import { createRequire } from 'node:module'

export interface WsSocket {
  on(event: 'open', listener: () => void): void
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void
  on(event: 'close', listener: (code: number) => void): void
  on(event: 'error', listener: (error: Error) => void): void
  on(event: 'unexpected-response', listener: (req: unknown, res: { statusCode?: number }) => void): void
  send(data: string): void
  close(): void
  terminate(): void
}
type WsConstructor = new (
  url: string,
  options?: { headers?: Record<string, string>; perMessageDeflate?: boolean; maxPayload?: number },
) => WsSocket
export const WebSocketClient = createRequire(import.meta.url)('ws') as WsConstructor
