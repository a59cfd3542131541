/**
 * A bar chart of days as plain SVG: messages in and replies sent side by side, failures on
 * top in red. No library: a dozen rectangles do not need one.
 */
import type { DayStats } from '../record/views'

const WIDTH = 640
const HEIGHT = 200
const AXIS = 4

export function DaysChart(props: { days: DayStats[]; labels: { messages: string; sent: string; failed: string } }) {
  const { days, labels } = props
  const max = Math.max(1, ...days.map((d) => Math.max(d.messages, d.repliesSent + d.repliesFailed)))
  const slot = WIDTH / Math.max(1, days.length)
  const bar = Math.max(2, slot / 3 - 2)
  const y = (n: number) => ((HEIGHT - AXIS) * n) / max
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT + 4}`} role="img" aria-label={`${labels.messages} / ${labels.sent} / ${labels.failed}`}>
        <text x="0" y="12" font-size="11" fill="#656d76">
          {max}
        </text>
        {days.map((d, i) => {
          const x = i * slot + slot / 6
          const base = HEIGHT - AXIS
          return (
            <g>
              <title>{`${d.day}: ${labels.messages} ${d.messages}, ${labels.sent} ${d.repliesSent}, ${labels.failed} ${d.repliesFailed}`}</title>
              <rect x={x} y={base - y(d.messages)} width={bar} height={y(d.messages)} fill="#8c959f" />
              <rect x={x + bar + 2} y={base - y(d.repliesSent)} width={bar} height={y(d.repliesSent)} fill="#07c160" />
              <rect
                x={x + bar + 2}
                y={base - y(d.repliesSent) - y(d.repliesFailed)}
                width={bar}
                height={y(d.repliesFailed)}
                fill="#cf222e"
              />
            </g>
          )
        })}
      </svg>
      {/* Dates in HTML, not in the SVG: they keep their size when the chart shrinks to a phone. */}
      <div class="chart-days" aria-hidden="true">
        {days.map((d) => (
          <span>{d.day.slice(5)}</span>
        ))}
      </div>
      <figcaption class="muted">
        <span style="color:#8c959f">■</span> {labels.messages} <span style="color:#07c160">■</span> {labels.sent}{' '}
        <span style="color:#cf222e">■</span> {labels.failed}
      </figcaption>
    </figure>
  )
}
