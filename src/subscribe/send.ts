/** A WeChat call whose refusal is an answer, not a fault: subscribe and uniform sends. */
import { errcodeOf } from '../conversation/failure'

/** Runs `call`: 0 when WeChat took it, else WeChat's errcode (time-outs and network failures: the synthetic ones). */
export async function errcodeAnswer(call: () => Promise<unknown>): Promise<number> {
  try {
    await call()
    return 0
  } catch (error) {
    const errcode = errcodeOf(error)
    // Anything else (a missing setting) is ours to report, not WeChat's answer.
    if (errcode === null) throw error
    return errcode
  }
}
