/** `npm run rules:schema`: writes rules/schema.json from the valibot schema. */
import { writeFileSync } from 'node:fs'
import { ruleSetJsonSchema } from './rules-json-schema'

const path = 'rules/schema.json'
writeFileSync(path, `${JSON.stringify(ruleSetJsonSchema(), null, 2)}\n`)
console.log(`wrote ${path}`)
