/**
 * The office hours' form (hours-form.ts names its fields): the time zone, a weekly grid of open
 * periods (a row per day, each period a start and an end), holidays and make-up working days
 * as dates, and the make-up days' hours. Shown when the box is ticked (by the stylesheet, no
 * script); a set without hours posts the box unticked and its grid is ignored.
 */
import type { RuleIssue } from '../../rules/validate'
import type { Lang, Strings } from '../lang'
import { DATE_LISTS, hoursPlaceOf, newHours, PERIOD_ROWS, type HoursDraft, type PeriodRow } from '../hours-form'
import { Issues } from './issue-list'

const ZONES = ['Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Taipei', 'Asia/Macau', 'Asia/Singapore', 'Asia/Tokyo', 'Europe/London', 'UTC']

const HOURS_STRINGS: Strings<{
  legend: string
  on: string
  tz: string
  rows: Record<PeriodRow, string>
  closedAllDay: string
  addPeriod: string
  remove: string
  start: string
  end: string
  closed: string
  closedHint: string
  open: string
  openHint: string
  openHours: string
  addDate: string
  endHint: string
}> = {
  zh: {
    legend: '上班时间',
    on: '设置上班时间（规则和默认回复可以按上班、下班时间区分）',
    tz: '时区',
    rows: { mon: '周一', tue: '周二', wed: '周三', thu: '周四', fri: '周五', sat: '周六', sun: '周日', open_hours: '调休日' },
    closedAllDay: '全天休息',
    addPeriod: '时段',
    remove: '删除',
    start: '开始',
    end: '结束',
    closed: '节假日（全天休息）',
    closedHint: '这些日子按休息处理，不管是星期几。',
    open: '调休上班日',
    openHint: '这些日子上班，时间按上面“调休日”一行（没填则按周一）。',
    openHours: '调休日的上班时段',
    addDate: '添加日期',
    endHint: '结束时间不含；全天到午夜写 24:00',
  },
  en: {
    legend: 'Office hours',
    on: 'Set office hours (rules and the default reply can differ while open and closed)',
    tz: 'Time zone',
    rows: { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun', open_hours: 'Make-up' },
    closedAllDay: 'Closed',
    addPeriod: 'Period',
    remove: 'Delete',
    start: 'Start',
    end: 'End',
    closed: 'Holidays (closed all day)',
    closedHint: 'Closed on these days, whatever the weekday.',
    open: 'Make-up working days',
    openHint: 'Open on these days, with the hours of the make-up row above (Monday’s when empty).',
    openHours: 'Hours of the make-up days',
    addDate: 'Add a date',
    endHint: 'The end is exclusive; until midnight is 24:00',
  },
}

export function HoursFields(props: { lang: Lang; hours: HoursDraft | null; issues: RuleIssue[] }) {
  const t = HOURS_STRINGS[props.lang]
  // Without hours, the grid a tick would show starts from a working week.
  const hours = props.hours ?? newHours()
  // Each issue beside its input: the time zone, a day's periods, a date or a list of dates; the rest under the block.
  const placed = new Map<string, RuleIssue[]>()
  const rest: RuleIssue[] = []
  for (const issue of props.issues) {
    const place = hoursPlaceOf(hours, issue.path)
    const key = place === null ? null : place.at === 'tz' ? 'tz' : place.at === 'row' ? place.row : `${place.list}.${place.index ?? 'list'}`
    if (key === null) rest.push(issue)
    else placed.set(key, [...(placed.get(key) ?? []), issue])
  }
  const at = (key: string) => placed.get(key) ?? []
  const invalid = (key: string) => (at(key).length > 0 ? 'true' : undefined)
  return (
    <fieldset data-hours>
      <legend>{t.legend}</legend>
      <label class="check">
        <input type="checkbox" name="hours.on" checked={props.hours !== null} data-hours-on /> {t.on}
      </label>
      <div class="hours-grid">
        <label for="hours.tz">{t.tz}</label>
        <input id="hours.tz" name="hours.tz" value={hours.tz} list="hours-zones" aria-invalid={invalid('tz')} />
        <datalist id="hours-zones">
          {ZONES.map((zone) => (
            <option value={zone} />
          ))}
        </datalist>
        <Issues issues={at('tz')} lang={props.lang} />
        <p class="muted">{t.endHint}</p>
        <table class="week">
          <tbody>
            {PERIOD_ROWS.map((row) => (
              <tr data-day={row}>
                <th scope="row" title={row === 'open_hours' ? t.openHours : undefined}>
                  {t.rows[row]}
                </th>
                <td>
                  <input type="hidden" name={`hours.${row}.count`} value={String(hours.periods[row].length)} />
                  <div class="periods">
                    {hours.periods[row].length === 0 && <span class="muted">{row === 'open_hours' ? '—' : t.closedAllDay}</span>}
                    {hours.periods[row].map((period, n) => (
                      <span class="period">
                        <TimeOfDay
                          name={`hours.${row}.${n}.start`}
                          value={period.start}
                          label={`${t.rows[row]} ${t.start}`}
                          example="09:00"
                        />
                        –
                        <TimeOfDay name={`hours.${row}.${n}.end`} value={period.end} label={`${t.rows[row]} ${t.end}`} example="18:00" />
                        <button type="submit" name="op" value={`period-delete:${row}.${n}`} class="small danger" title={t.remove}>
                          ×
                        </button>
                      </span>
                    ))}
                    <button type="submit" name="op" value={`period-add:${row}`} class="small">
                      + {t.addPeriod}
                    </button>
                  </div>
                  <Issues issues={at(row)} lang={props.lang} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="row dates">
          {DATE_LISTS.map((list) => (
            <div data-dates={list}>
              <b>{list === 'closed' ? t.closed : t.open}</b>
              <p class="muted">{list === 'closed' ? t.closedHint : t.openHint}</p>
              <input type="hidden" name={`hours.${list}.count`} value={String(hours[list].length)} />
              {hours[list].map((date, n) => (
                <>
                  <span class="period">
                    <input
                      type="date"
                      name={`hours.${list}.${n}`}
                      value={date}
                      aria-label={list === 'closed' ? t.closed : t.open}
                      aria-invalid={invalid(`${list}.${n}`)}
                    />
                    <button type="submit" name="op" value={`date-delete:${list}.${n}`} class="small danger" title={t.remove}>
                      ×
                    </button>
                  </span>
                  <Issues issues={at(`${list}.${n}`)} lang={props.lang} />
                </>
              ))}
              <button type="submit" name="op" value={`date-add:${list}`} class="small">
                + {t.addDate}
              </button>
              <Issues issues={at(`${list}.list`)} lang={props.lang} />
            </div>
          ))}
        </div>
      </div>
      <Issues issues={rest} lang={props.lang} />
    </fieldset>
  )
}

/** One end of an open period, HH:MM (24:00 allowed as an end; the validator says what is wrong). */
function TimeOfDay(props: { name: string; value: string; label: string; example: string }) {
  return (
    <input
      name={props.name}
      value={props.value}
      aria-label={props.label}
      placeholder={props.example}
      size={5}
      maxlength={5}
      pattern="[0-9]{2}:[0-9]{2}"
    />
  )
}
