/** The release, as package.json names it; reported by /healthz. */
import pkg from '../package.json'

export const VERSION: string = pkg.version
