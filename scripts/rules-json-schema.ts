/** rules/schema.json, generated from the valibot schema (npm run rules:schema; a test compares). */
import { toJsonSchema } from '@valibot/to-json-schema'
import { AnyDefault, AnyReply, RepliesSchema, RuleSetSchema } from '../src/rules/schema'

export function ruleSetJsonSchema(): Record<string, unknown> {
  // Checks JSON Schema cannot express (regex safety, byte lengths) are left to rules:check.
  // The reply shapes are picked by input in validation (schema.ts); here they are named
  // definitions, so editors show "reply" rather than a numbered one.
  const schema = toJsonSchema(RuleSetSchema, {
    errorMode: 'ignore',
    definitions: { replies: RepliesSchema, reply: AnyReply, default: AnyDefault },
  }) as Record<string, unknown>
  return { ...schema, title: 'kefu-edge rule set (version 1)' }
}
