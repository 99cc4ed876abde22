// Stands in for markdown-to-jsx in the build: the form library renders Markdown only where a
// form asks for it (enableMarkdownInDescription), which none of ours does; this keeps its
// 85 KB parser out of the bundle. Text is shown as it is.
export function Markdown({ children }) {
  return children;
}

export default Markdown;
