/**
 * What a push can get wrong. The route turns one of these into a short plain-text 4xx; the
 * message is safe to show a client: it never carries a secret, a token or decrypted content.
 */
export type PushErrorStatus = 400 | 401 | 413

export class PushError extends Error {
  override readonly name = 'PushError'
  constructor(
    readonly status: PushErrorStatus,
    message: string,
  ) {
    super(message)
  }
}

export const badRequest = (reason: string): PushError => new PushError(400, reason)
export const unauthorized = (reason: string): PushError => new PushError(401, reason)
