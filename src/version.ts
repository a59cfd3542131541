/** The release, as package.json names it; reported by /healthz. */
// A named import: the bundle keeps this field of package.json, not the whole file.
import { version } from '../package.json'

export const VERSION: string = version
