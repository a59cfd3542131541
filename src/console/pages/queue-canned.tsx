/**
 * 快捷回复 / Canned answers on the queue page: the mini program's canned answers (title,
 * shortcut, text) for everyone who reads the queue, and for those who may change the rules
 * (admin and up) the forms that add and delete them (console/routes-desk.tsx, as
 * `/admin/api/canned`). The reply box on a conversation page offers them (desk-script.ts).
 */
import { MAX_CANNED_TEXT, MAX_CANNED_TITLE, type Canned } from '../../desk/notes'
import type { Lang, Strings } from '../lang'
import { QUEUE_PATH } from './queue'
import { Table } from './table'

const STRINGS: Strings<{
  canned: string
  cannedIntro: string
  cannedNone: string
  cannedTitle: string
  cannedText: string
  cannedShortcut: string
  cannedShortcutHint: string
  cannedAdd: string
  cannedDelete: string
}> = {
  zh: {
    canned: '快捷回复',
    cannedIntro: '在会话页的回复框上方选用；在回复框里输入快捷词（如 /退货）再按空格，也会换成这段文字。',
    cannedNone: '还没有快捷回复。',
    cannedTitle: '标题',
    cannedText: '内容',
    cannedShortcut: '快捷词',
    cannedShortcutHint: '可不填：/ 加 1–20 个字母、数字、_ 或 -，如 /退货',
    cannedAdd: '添加快捷回复',
    cannedDelete: '删除',
  },
  en: {
    canned: 'Canned answers',
    cannedIntro:
      'Picked above the reply box on a conversation page; typing a shortcut (like /退货) and a space in the reply box puts its text in too.',
    cannedNone: 'No canned answers yet.',
    cannedTitle: 'Title',
    cannedText: 'Text',
    cannedShortcut: 'Shortcut',
    cannedShortcutHint: 'Optional: / and 1–20 letters, digits, _ or -, like /退货',
    cannedAdd: 'Add a canned answer',
    cannedDelete: 'Delete',
  },
}

/** The canned answers, and for admins the forms that add and delete them. */
export function CannedSection(props: { lang: Lang; canned: Canned[]; canEdit: boolean }) {
  const t = STRINGS[props.lang]
  return (
    <section data-canned-section>
      <h2>{t.canned}</h2>
      <p class="muted">{t.cannedIntro}</p>
      <div class="panel">
        <Table
          items={props.canned}
          empty={t.cannedNone}
          emptyMark="data-no-canned"
          head={[t.cannedTitle, t.cannedShortcut, t.cannedText, props.canEdit && '']}
          row={(canned) => (
            <tr data-canned-id={canned.id}>
              <td>{canned.title}</td>
              <td class="nowrap">{canned.shortcut ?? '–'}</td>
              <td style="white-space:pre-wrap">{canned.text}</td>
              {props.canEdit && (
                <td>
                  <form method="post" action={`${QUEUE_PATH}/canned/${encodeURIComponent(canned.id)}/delete`} class="inline">
                    <button type="submit" data-canned-delete>
                      {t.cannedDelete}
                    </button>
                  </form>
                </td>
              )}
            </tr>
          )}
        />
      </div>
      {props.canEdit && (
        <form method="post" action={`${QUEUE_PATH}/canned`} class="panel" data-canned-form>
          <label for="canned-title">{t.cannedTitle}</label>
          <input id="canned-title" name="title" maxlength={MAX_CANNED_TITLE} required />
          <label for="canned-shortcut">{t.cannedShortcut}</label>
          <input id="canned-shortcut" name="shortcut" maxlength={21} placeholder="/退货" aria-describedby="canned-shortcut-hint" />
          <p id="canned-shortcut-hint" class="muted">
            {t.cannedShortcutHint}
          </p>
          <label for="canned-text">{t.cannedText}</label>
          <textarea id="canned-text" name="text" rows={3} maxlength={MAX_CANNED_TEXT} required></textarea>
          <p>
            <button type="submit">{t.cannedAdd}</button>
          </p>
        </form>
      )}
    </section>
  )
}
