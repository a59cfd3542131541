/**
 * Labelled fields the console's forms share: each label names its control by id.
 */

/**
 * A drop-down of fixed choices (a rule's kind, channel and office-hours condition, the default
 * reply's, a campaign's state and language): the chosen value is selected, each value shows its words.
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

/** A short number as typed (a threshold, minutes): text, so the validator names what is wrong with it. */
export function NumberField(props: {
  name: string
  label: string
  value: string
  /** decimal for a share (0.6), numeric for a whole number. */
  mode: 'decimal' | 'numeric'
  placeholder: string
  invalid?: boolean
}) {
  return (
    <div>
      <label for={props.name}>{props.label}</label>
      <input
        id={props.name}
        name={props.name}
        value={props.value}
        inputmode={props.mode}
        size={5}
        placeholder={props.placeholder}
        aria-invalid={props.invalid ? 'true' : undefined}
      />
    </div>
  )
}

/** A text area under its label, with an optional hint after the label's words. */
export function TextBox(props: {
  id: string
  name: string
  label: string
  hint?: string
  rows: number
  required?: boolean
  value: string
}) {
  return (
    <>
      <label for={props.id}>
        {props.label}
        {props.hint !== undefined && (
          <>
            {' '}
            <span class="muted">· {props.hint}</span>
          </>
        )}
      </label>
      <textarea id={props.id} name={props.name} rows={props.rows} required={props.required}>
        {props.value}
      </textarea>
    </>
  )
}

/** A form's one submit button, on a line of its own. */
export function SubmitRow(props: { label: string }) {
  return (
    <p>
      <button type="submit" class="primary">
        {props.label}
      </button>
    </p>
  )
}
