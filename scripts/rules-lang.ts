/**
 * The language `rules:check` speaks: `--lang zh` or `--lang en` when given, else Chinese when
 * the locale is Chinese (the first of LC_ALL, LC_MESSAGES, LANG that is set, as POSIX reads
 * them), else English — so CI logs and existing scripts keep the English they grep for.
 */
import type { Lang } from '../src/rules/messages'

export type { Lang } from '../src/rules/messages'

/** The locale's language, from the environment a script runs in. */
export function localeLang(env: Readonly<Record<string, string | undefined>>): Lang {
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((value) => value !== undefined && value !== '')
  return locale?.toLowerCase().startsWith('zh') ? 'zh' : 'en'
}

/** `--lang` as asked, or null when the value is neither zh nor en. */
export function askedLang(value: string | undefined, env: Readonly<Record<string, string | undefined>>): Lang | null {
  if (value === undefined) return localeLang(env)
  return value === 'zh' || value === 'en' ? value : null
}

/** What rules:check says around the issues, in English. */
const EN = {
  unreadable: (detail: string) => `cannot read (${detail})`,
  problems: (n: number) => `${n} problem${n === 1 ? '' : 's'}; nothing was changed`,
  ok: (rules: number, version: string) => `ok, ${rules} rules, version ${version}`,
  ai: (threshold: number) => `ai: texts no rule answers ask the knowledge base first (an FAQ scoring ${threshold} or more answers)`,
  badLang: (value: string) => `--lang must be zh or en, not ${value}`,
}

/** What rules:check says around the issues, in each language (Chinese typed like English). */
export const CHECK_TEXT: Record<Lang, typeof EN> = {
  en: EN,
  zh: {
    unreadable: (detail: string) => `无法读取（${detail}）`,
    problems: (n: number) => `共 ${n} 个问题；没有做任何改动`,
    ok: (rules: number, version: string) => `没有问题，共 ${rules} 条规则，版本 ${version}`,
    ai: (threshold: number) => `ai：规则都没回答的文字消息先查知识库（得分 ${threshold} 及以上的常见问题直接回答）`,
    badLang: (value: string) => `--lang 只能是 zh 或 en，不能是 ${value}`,
  },
}
