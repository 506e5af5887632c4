// Document narrative. The backend has already sanitised it to an allowlist of plain XHTML; as a
// second line of defence the window parses it in an inert <template> (nothing runs, nothing
// loads), keeps only allowlisted elements and a few harmless attributes, and inserts the result
// into one dedicated container. Text is never dropped: unknown elements are unwrapped.

const ALLOWED = new Set(
  ("a abbr acronym b big blockquote br caption center cite code col colgroup dd del dfn div dl dt em " +
    "h1 h2 h3 h4 h5 h6 hr i ins kbd li ol p pre q s samp small span strike strong sub sup table tbody td " +
    "tfoot th thead tr tt u ul var").split(" "),
);
/** Elements whose content is code or never shown: removed with their content. */
const DROP = new Set(
  ("script style svg math iframe frame frameset object embed applet template noscript noembed noframes " +
    "xmp plaintext textarea select option title head meta link base canvas video audio source img image " +
    "picture input button form").split(" "),
);
const ATTRS = new Set(["colspan", "rowspan", "scope", "abbr", "headers", "span", "start", "reversed"]);

function clean(node: Node, doc: Document): Node[] {
  if (node.nodeType === Node.TEXT_NODE) return [doc.createTextNode(node.nodeValue ?? "")];
  if (node.nodeType !== Node.ELEMENT_NODE) return [];
  const el = node as Element;
  const name = el.localName.toLowerCase();
  if (DROP.has(name)) return [];
  const children = [...el.childNodes].flatMap((c) => clean(c, doc));
  if (!ALLOWED.has(name)) return children;
  // <a> keeps its text but never its target: links in documents are shown, not followed.
  const out = doc.createElement(name === "a" ? "span" : name);
  if (name === "a") out.className = "app-narrative__link";
  for (const attr of [...el.attributes]) {
    if (ATTRS.has(attr.name.toLowerCase()) && /^[\w\s-]*$/.test(attr.value)) out.setAttribute(attr.name, attr.value);
  }
  out.append(...children);
  return [out];
}

/** Nodes for sanitised narrative HTML, safe to append to a narrative container. */
export function narrativeNodes(html: string, doc: Document = document): Node[] {
  const template = doc.createElement("template");
  template.innerHTML = html;
  return [...template.content.childNodes].flatMap((n) => clean(n, doc));
}

/** The dedicated container for one section's narrative. */
export function renderNarrative(html: string, text: string): HTMLElement {
  const box = document.createElement("div");
  box.className = "app-narrative";
  const nodes = html.trim() ? narrativeNodes(html) : [];
  if (nodes.length) box.append(...nodes);
  else if (text.trim()) {
    const p = document.createElement("p");
    p.className = "app-narrative__plain";
    p.textContent = text;
    box.append(p);
  }
  return box;
}
