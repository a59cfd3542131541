/**
 * How many subrequests one delivery pass may make. A Worker invocation — the push's flush, or
 * one alarm — may make 50 on the Free plan, and every fetch counts: the token, "typing…", an
 * image download and its redirects, the upload, the send. The API client makes those fetches
 * itself, so a pass reserves each attempt's worst case before it starts one, and stops when
 * the next would not fit; what is left goes to the next alarm, a second later.
 */
import { MAX_CALLS } from '../ai/model'
import { uploadedImages } from './custom-message'
import type { StoredReply } from './outbox'

/** Below the Free plan's 50, leaving room for what the invocation does besides sending. */
export const PASS_SUBREQUESTS = 40

/**
 * Once per pass: fetching the access token, and forcing a new one when WeChat refuses it
 * (the client shares one refresh among the calls of an isolate).
 */
export const TOKEN_FETCHES = 2

/** An API call, and its repeat with a fresh token when WeChat refuses the first. */
const API_CALL = 2
/** An image download and the redirects the media client follows (at most two). */
const IMAGE_DOWNLOAD = 3

/**
 * The most fetches an attempt at `reply` can make. An image given by URL may need "typing…",
 * the download and the upload — unless its media_id is cached, which only the client knows,
 * so the worst case is reserved. An answer the model is asked for: "typing…" and its
 * refresh, the model's calls, then whichever its first reply costs — the answer, a text, or
 * the fallback's first reply (it was typing already).
 */
export function attemptCost(reply: StoredReply, typingShown: boolean): number {
  if (reply.type === 'ai') {
    const first = Math.max(API_CALL, attemptCost(reply.request.fallback[0], true))
    return 2 * API_CALL + MAX_CALLS + first
  }
  const uploads = uploadedImages(reply).length
  if (uploads === 0) return API_CALL
  return (typingShown ? 0 : API_CALL) + uploads * (IMAGE_DOWNLOAD + API_CALL) + API_CALL
}

export class SubrequestBudget {
  #left: number

  constructor(limit: number = PASS_SUBREQUESTS) {
    this.#left = limit - TOKEN_FETCHES
  }

  get left(): number {
    return this.#left
  }

  /** Reserves `cost` if it fits; false (and nothing reserved) when it does not. */
  take(cost: number): boolean {
    if (cost > this.#left) return false
    this.#left -= cost
    return true
  }
}
