/**
 * `npm run openapi`: writes the admin API's OpenAPI document (openapi/document.ts builds it
 * from the routes' validation schemas) to assets/admin/api/openapi.json, the static asset the
 * Worker serves at `GET /admin/api/openapi.json`. The generator and its JSON Schema converter
 * stay out of the Worker's bundle; a test fails while the file differs from what they build.
 */
import { writeFileSync } from 'node:fs'

// Imported by URL, not by name: the generator is type-checked with the Worker's types
// (tsconfig.json); under Node's (tsconfig.node.json) its imports would reach Workers-only APIs.
const generator = new URL('./openapi/document.ts', import.meta.url).href
const { openApiDocument } = (await import(generator)) as { openApiDocument(): unknown }

const path = 'assets/admin/api/openapi.json'
writeFileSync(path, `${JSON.stringify(openApiDocument())}\n`)
console.log(`wrote ${path}`)
