/** Vite's `?raw` imports (a file's text, bundled into the test): the example knowledge base in the tests. */
declare module '*?raw' {
  const text: string
  export default text
}
