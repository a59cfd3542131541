/** rules/schema.json, generated from the valibot schema (npm run rules:schema; a test compares). */
import { toJsonSchema } from '@valibot/to-json-schema'
import { RuleSetSchema } from './schema'

export function ruleSetJsonSchema(): Record<string, unknown> {
  // Checks JSON Schema cannot express (regex safety, byte lengths) are left to rules:check.
  const schema = toJsonSchema(RuleSetSchema, { errorMode: 'ignore' }) as Record<string, unknown>
  return { ...schema, title: 'kefu-edge rule set (version 1)' }
}
