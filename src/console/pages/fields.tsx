/**
 * A labelled drop-down of fixed choices, as the console's forms write them (a rule's kind,
 * channel and office-hours condition, the default reply's, a campaign's state and language):
 * the label names the select by its id, the chosen value is selected, each value shows its words.
 */
export function Choice<T extends string>(props: {
  name: string
  /** The select's id, when not its name. */
  id?: string
  label: string
  values: readonly T[]
  chosen: string
  text: (value: T) => string
  class?: string
  invalid?: boolean
}) {
  return (
    <div>
      <label for={props.id ?? props.name}>{props.label}</label>
      <select id={props.id ?? props.name} name={props.name} class={props.class} aria-invalid={props.invalid ? 'true' : undefined}>
        {props.values.map((value) => (
          <option value={value} selected={value === props.chosen}>
            {props.text(value)}
          </option>
        ))}
      </select>
    </div>
  )
}
