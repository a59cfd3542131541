/**
 * The two shapes of table the console's pages share. Most pages list things the same way: a
 * muted line when there is nothing, else a table with one head row and a row per item. `Table`
 * is that shape once, so a page writes only what is its own (its columns, and how an item
 * reads as a row), and every list keeps the same markup: the classes and data- attributes the
 * stylesheet, the browser script and the tests look for. `Facts` is the other shape: one
 * thing's fields (a conversation, a campaign, the status), a row each of a name and its value.
 */
import type { Child } from 'hono/jsx'

/** data- attributes, passed through to the element as they are. */
type DataAttributes = { [name: `data-${string}`]: string | boolean | undefined }

/**
 * A head cell: its content, or its content and the class of its <th>. `false` leaves the
 * column out (one a role does not see: `grants.reply && t.actions`); '' is an empty <th>.
 */
export type Head = Child | { label: Child; class: string }

const classed = (head: Head): head is { label: Child; class: string } => typeof head === 'object' && head !== null && 'label' in head

export interface TableProps<T> extends DataAttributes {
  items: readonly T[]
  head: Head[]
  /** An item's <tr>, with the data- attributes the page gives its rows. */
  row: (item: T) => Child
  /**
   * What the muted line in place of the table says when there are no items. Without it the
   * table is shown anyway: for a page that says there is nothing in its own way, first.
   */
  empty?: Child
  /** A data- attribute the empty line carries (`data-no-members`), for the tests and the browser script. */
  emptyMark?: `data-${string}`
  /** The <table>'s class: `stack` lays each row out as a card on a phone. */
  class?: string
}

/** The items as a table with a head row, or the empty line; data- attributes go on the <table>. */
export function Table<T>(props: TableProps<T>): Child {
  const { items, head, row, empty, emptyMark, class: className, ...data } = props
  if (items.length === 0 && empty !== undefined)
    return (
      <p class="muted" {...(emptyMark === undefined ? {} : { [emptyMark]: true })}>
        {empty}
      </p>
    )
  return (
    <table class={className} {...data}>
      <thead>
        <tr>
          {head
            .filter((cell) => cell !== false)
            .map((cell) => (classed(cell) ? <th class={cell.class}>{cell.label}</th> : <th>{cell}</th>))}
        </tr>
      </thead>
      <tbody>{items.map((item) => row(item))}</tbody>
    </table>
  )
}

/** One thing's fields, a <Fact> each, in a table with no head. */
export function Facts(props: { children: Child }) {
  return (
    <table>
      <tbody>{props.children}</tbody>
    </table>
  )
}

/** A row of Facts: the field's name, and its value (the <td> takes a class and data- attributes). */
export function Fact(props: { name: Child; class?: string | undefined; children: Child } & DataAttributes) {
  const { name, class: className, children, ...data } = props
  return (
    <tr>
      <th>{name}</th>
      <td class={className} {...data}>
        {children}
      </td>
    </tr>
  )
}
