/** Whether a string is an absolute http or https URL (settings, image URLs). */
export function isHttpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol)
  } catch {
    return false
  }
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * Whether a URL is https, or http to this machine: what may carry a secret or an image the
 * user sees (a plain-http one can be read or swapped on the way). Loopback is the exception,
 * where only a local stand-in can answer (a deployed Worker cannot reach a loopback host).
 */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
}
