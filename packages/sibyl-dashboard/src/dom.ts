// Small helpers for building the page's tables.

export function element<T extends HTMLElement = HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) {
    throw new Error(`the page has no ${selector}`);
  }
  return found;
}

/** A table cell holding `content`, marked `data-field` for readers and tests. */
export function cell(field: string, content: string | Node): HTMLTableCellElement {
  const td = document.createElement("td");
  td.dataset["field"] = field;
  td.append(content);
  return td;
}

export function row(cells: HTMLTableCellElement[]): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
}
