// The page side of sinch-notebook's grid (widgets/datagrid/widget.py is the kernel side).
//
// A real <table role="grid"> that holds only the rows on screen: spacer rows stand in for the
// rest, and a scroll asks the kernel for the next window ("window" -> "rows"). Headers sort
// (aria-sort and an arrow), columns resize by their edge, cells wrap. Keyboard: arrow keys move
// between cells (the header row included), Home/End, PageUp/PageDown, Enter sorts a header,
// opens a row or edits a cell, F2 or typing edits, Escape cancels, Tab leaves the grid (one
// cell is in the tab order: a roving tabindex). Colours are the page's CSS variables.
// No JupyterLab API is used: it runs wherever anywidget does.

const OVERSCAN = 10; // rows drawn above and below the visible ones
const MARGIN = 30; // rows asked for beyond those drawn, so a short scroll needs no round trip
const DEFAULT_ROW = 26; // px, until a row is measured
const SHARED_MIN = 200; // px: the least a column without a width of its own gets

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el: host }) {
  const root = el("div", { class: "sn-dg", "data-lm-suppress-shortcuts": "true" });
  const scroller = el("div", { class: "sn-dg-scroll" });
  const table = el("table", { class: "sn-dg-table", role: "grid" });
  const caption = el("caption", { class: "sn-dg-caption" });
  const colgroup = el("colgroup");
  const thead = el("thead");
  const headRow = el("tr", { "aria-rowindex": "1" });
  const tbody = el("tbody");
  const empty = el("div", { class: "sn-dg-empty" });
  const status = el("div", { class: "sn-dg-status", role: "status", "aria-live": "polite" });
  thead.append(headRow);
  table.append(caption, colgroup, thead, tbody);
  scroller.append(table);
  root.append(scroller, empty, status);
  host.append(root);

  let cache = { view: -1, start: 0, rows: [] }; // the window the kernel sent last
  let stale = false; // the cache is of an older view (kept on screen until the new rows come)
  let asked = null; // {view, start, stop} of the request on its way
  let drawn = { first: 0, last: 0 };
  let rowHeight = DEFAULT_ROW; // average measured height of a body row
  let pos = { r: -1, c: 0 }; // the cell in the tab order (r = -1: the header row)
  let editing = null; // {r, c, input, original}
  let seq = 0;
  let dragged = false; // a column edge was just dragged
  let frame = 0;

  const columns = () => model.get("columns") || [];
  const count = () => model.get("count") || 0;
  const editable = (c) => Boolean((columns()[c] || {}).editable);
  const opens = () => Boolean(model.get("open_hint"));

  // -- header ----------------------------------------------------------------------------------

  function drawHeader() {
    const cols = columns();
    colgroup.replaceChildren();
    headRow.replaceChildren();
    cols.forEach((col, c) => {
      colgroup.append(el("col"));
      const sorted = model.get("sort_column") === col.title;
      const down = model.get("sort_descending");
      const th = el("th", {
        scope: "col",
        "aria-colindex": String(c + 1),
        "aria-sort": sorted ? (down ? "descending" : "ascending") : null,
        "data-col": String(c),
      });
      if (model.get("sortable")) {
        const button = el("button", { type: "button", class: "sn-dg-sort", tabindex: "-1" });
        button.append(el("span", { class: "sn-dg-title" }, col.title));
        button.append(
          el("span", { class: "sn-dg-arrow", "aria-hidden": "true" }, sorted ? (down ? "▼" : "▲") : ""),
        );
        if (!sorted) button.title = `Sort by ${col.title}`;
        th.append(button);
      } else {
        th.append(el("span", { class: "sn-dg-title", tabindex: "-1" }, col.title));
      }
      const handle = el("span", { class: "sn-dg-resize", "aria-hidden": "true" });
      handle.addEventListener("pointerdown", (event) => startResize(event, c));
      th.append(handle);
      headRow.append(th);
    });
    table.setAttribute("aria-colcount", String(cols.length));
    layout();
  }

  function layout() {
    // Column widths for the width there is: each its preferred width, narrowed toward its
    // `min` when the page is narrow; columns without a width share the rest (SHARED_MIN each
    // at least; below that the table scrolls sideways). A width the person dragged stays.
    const cols = columns();
    const dragged = model.get("widths") || {};
    const want = cols.map((col) => dragged[col.title] || col.width || 0);
    const least = cols.map((col, c) => (dragged[col.title] ? want[c] : col.min || want[c]));
    const shared = want.filter((w) => !w).length;
    const room = (scroller.clientWidth || 800) - 2;
    const over = want.reduce((a, b) => a + b, 0) + shared * SHARED_MIN - room;
    if (over > 0) {
      const slack = want.map((w, c) => w - least[c]);
      const total = slack.reduce((a, b) => a + b, 0);
      const cut = Math.min(over, total);
      if (total > 0) slack.forEach((s, c) => { want[c] = Math.round(want[c] - (s * cut) / total); });
    }
    [...colgroup.children].forEach((node, c) => {
      node.style.width = want[c] ? `${want[c]}px` : "";
    });
    table.style.minWidth = `${want.reduce((a, b) => a + b, 0) + shared * SHARED_MIN}px`;
  }

  function startResize(event, c) {
    event.preventDefault();
    event.stopPropagation();
    const col = colgroup.children[c];
    const startX = event.clientX;
    const startWidth = headRow.children[c].getBoundingClientRect().width;
    const title = columns()[c].title;
    const move = (e) => {
      col.style.width = `${Math.max(40, Math.round(startWidth + e.clientX - startX))}px`;
    };
    const up = () => {
      dragged = true; // the click that ends a drag sorts nothing
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      model.set("widths", { ...(model.get("widths") || {}), [title]: parseInt(col.style.width, 10) });
      model.save_changes();
      measure();
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  // -- body: the window of rows on screen --------------------------------------------------------

  function atBottom() {
    return scroller.scrollTop > 0 &&
      scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2;
  }

  function visibleRange() {
    // Which rows to draw: from the scroll position and the average row height; at the very end
    // the last rows (heights vary, so an estimate alone could stop short of them).
    const n = count();
    const headerHeight = thead.offsetHeight || DEFAULT_ROW;
    const top = Math.max(0, scroller.scrollTop - headerHeight);
    const shown = Math.ceil((scroller.clientHeight || rowHeight * 20) / rowHeight) + 1;
    if (atBottom()) {
      return { first: Math.max(0, n - shown - 2 * OVERSCAN), last: n, bottom: true };
    }
    const first = Math.max(0, Math.min(n, Math.floor(top / rowHeight) - OVERSCAN));
    const last = Math.min(n, first + shown + 2 * OVERSCAN);
    return { first, last, bottom: false };
  }

  function cached(r) {
    if (cache.view < 0) return null;
    const i = r - cache.start;
    return i >= 0 && i < cache.rows.length ? cache.rows[i] : null;
  }

  function request(first, last) {
    const view = model.get("view");
    const covered = !stale && cache.view === view && first >= cache.start &&
      last <= cache.start + cache.rows.length;
    if (covered || last <= first) return;
    if (asked && asked.view === view && first >= asked.start && last <= asked.stop) return;
    const start = Math.max(0, first - MARGIN);
    const stop = Math.min(count(), last + MARGIN);
    asked = { view, start, stop };
    model.send({ type: "window", view, start, stop });
  }

  // A row opens as the page shows it: the view its cells were drawn from (rows of the previous
  // view stay drawn until the new view's rows arrive), or the current view for a row not drawn.
  function openRow(r) {
    const view = cached(r) ? cache.view : model.get("view");
    model.send({ type: "open", row: r, view });
  }

  function spacer(height) {
    const tr = el("tr", { class: "sn-dg-spacer", "aria-hidden": "true" });
    const td = el("td", { colspan: String(Math.max(1, columns().length)) });
    td.style.height = `${height}px`;
    tr.append(td);
    return tr;
  }

  function draw() {
    if (editing) return; // the row being edited stays as it is
    const n = count();
    const cols = columns();
    table.setAttribute("aria-rowcount", String(n + 1));
    empty.textContent = n ? "" : model.get("empty_text");
    empty.hidden = n > 0;
    const { first, last, bottom } = visibleRange();
    request(first, last);
    const hadFocus = root.contains(document.activeElement);
    const body = [spacer(first * rowHeight)];
    for (let r = first; r < last; r++) {
      const row = cached(r);
      const tr = el("tr", { "aria-rowindex": String(r + 2), "data-row": String(r) });
      if (!row) tr.setAttribute("aria-busy", "true");
      cols.forEach((col, c) => {
        const td = el("td", { tabindex: "-1", "aria-colindex": String(c + 1), "data-col": String(c) });
        td.className = col.wrap ? "sn-dg-wrap" : "sn-dg-nowrap";
        if (col.editable) td.classList.add("sn-dg-editable");
        td.textContent = row ? row[c] : "…";
        tr.append(td);
      });
      body.push(tr);
    }
    body.push(spacer(Math.max(0, n - last) * rowHeight));
    tbody.replaceChildren(...body);
    drawn = { first, last };
    if (pos.r >= n) pos = { r: n - 1, c: pos.c };
    if (pos.c >= cols.length) pos = { r: pos.r, c: Math.max(0, cols.length - 1) };
    rove(hadFocus);
    measure();
    if (bottom) scroller.scrollTop = scroller.scrollHeight; // the end stays in view
  }

  function oneLine() {
    // A row of one line of text: the cells' line height, their padding and border.
    const td = tbody.querySelector("tr[data-row] td");
    if (!td) return DEFAULT_ROW;
    const style = getComputedStyle(td);
    const line = parseFloat(style.lineHeight) || 18;
    return line + parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) +
      (parseFloat(style.borderBottomWidth) || 0);
  }

  function measure() {
    const rows = [...tbody.querySelectorAll("tr[data-row]:not([aria-busy])")];
    const heights = rows.map((tr) => tr.offsetHeight).filter((h) => h > 0);
    if (heights.length) rowHeight = heights.reduce((a, b) => a + b, 0) / heights.length;
    const header = thead.offsetHeight || DEFAULT_ROW;
    // As tall as its rows, up to max_rows one-line rows (and room for wrapped ones).
    const most = header + model.get("max_rows") * oneLine() * 1.4 + 2;
    scroller.style.maxHeight = `${Math.round(most)}px`;
    scroller.style.scrollPaddingTop = `${header}px`;
  }

  function schedule() {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const { first, last } = visibleRange();
      if (first !== drawn.first || last !== drawn.last || stale) draw();
      else request(first, last);
    });
  }

  // -- focus: one cell in the tab order ---------------------------------------------------------

  function target(r, c) {
    if (r < 0) {
      const th = headRow.children[c];
      return th ? th.querySelector("button, .sn-dg-title") : null;
    }
    const tr = tbody.querySelector(`tr[data-row="${r}"]`);
    return tr ? tr.children[c] : null;
  }

  function rove(focus) {
    root.querySelectorAll('[tabindex="0"]').forEach((node) => node.setAttribute("tabindex", "-1"));
    let node = target(pos.r, pos.c);
    if (!node) node = target(-1, Math.min(pos.c, columns().length - 1));
    if (!node) return;
    node.setAttribute("tabindex", "0");
    if (focus) node.focus({ preventScroll: true });
  }

  function moveTo(r, c) {
    const n = count();
    r = Math.max(-1, Math.min(n - 1, r));
    c = Math.max(0, Math.min(columns().length - 1, c));
    pos = { r, c };
    if (r >= 0 && (r < drawn.first || r >= drawn.last || !target(r, c))) {
      const header = thead.offsetHeight || DEFAULT_ROW;
      scroller.scrollTop = Math.max(0, header + r * rowHeight - scroller.clientHeight / 2);
      draw();
    }
    rove(true);
    const node = target(r, c);
    if (node) node.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function pageRows() {
    return Math.max(1, Math.floor((scroller.clientHeight - thead.offsetHeight) / rowHeight) - 1);
  }

  // -- editing ----------------------------------------------------------------------------------

  function startEdit(r, c, typed) {
    const td = target(r, c);
    if (!td || !editable(c) || !cached(r)) return;
    const original = cached(r)[c];
    const input = el("input", {
      type: "text",
      class: "sn-dg-input",
      "aria-label": `${columns()[c].title}, row ${r + 1}`,
    });
    input.value = typed !== undefined ? typed : original;
    td.replaceChildren(input);
    editing = { r, c, input, original };
    input.focus();
    if (typed === undefined) input.select();
    input.addEventListener("keydown", (event) => {
      event.stopPropagation();
      if (event.key === "Escape") {
        event.preventDefault();
        stopEdit(null, 0, 0);
      } else if (event.key === "Enter") {
        event.preventDefault();
        stopEdit(input.value, event.shiftKey ? -1 : 1, 0);
      } else if (event.key === "Tab") {
        event.preventDefault();
        stopEdit(input.value, 0, event.shiftKey ? -1 : 1);
      }
    });
    input.addEventListener("blur", () => {
      if (editing && editing.input === input) stopEdit(input.value, 0, 0, false);
    });
  }

  function stopEdit(value, dr, dc, refocus = true) {
    const { r, c, original } = editing;
    editing = null;
    const row = cached(r);
    if (value !== null && value !== original) {
      if (row) row[c] = value;
      seq += 1;
      model.send({ type: "edit", seq, row: r, column: columns()[c].title, value });
    }
    draw();
    if (refocus) moveTo(r + dr, c + dc);
  }

  function showEdited(msg) {
    const c = columns().findIndex((col) => col.title === msg.column);
    const row = cached(msg.row);
    if (msg.ok) {
      if (row && c >= 0) row[c] = msg.value;
      status.textContent = "";
      draw();
      return;
    }
    if (row && c >= 0 && editing === null) {
      moveTo(msg.row, c);
      startEdit(msg.row, c, msg.value);
      const td = target(msg.row, c);
      const note = el("div", { class: "sn-dg-error", id: `sn-dg-error-${seq}` }, msg.error);
      td.append(note);
      td.setAttribute("aria-invalid", "true");
      editing.input.setAttribute("aria-invalid", "true");
      editing.input.setAttribute("aria-describedby", note.id);
    }
    status.textContent = `${msg.column}, row ${msg.row + 1}: ${msg.error}`;
  }

  // -- events -----------------------------------------------------------------------------------

  function cellOf(node) {
    const cell = node.closest("td, th");
    if (!cell || !root.contains(cell)) return null;
    const tr = cell.parentElement;
    if (tr.classList.contains("sn-dg-spacer")) return null;
    const r = tr.parentElement === thead ? -1 : parseInt(tr.dataset.row, 10);
    return { r, c: parseInt(cell.dataset.col, 10) };
  }

  table.addEventListener("click", (event) => {
    if (dragged) {
      dragged = false;
      return;
    }
    if (event.target.closest(".sn-dg-resize") || event.target.closest(".sn-dg-input")) return;
    const at = cellOf(event.target);
    if (!at) return;
    pos = at;
    rove(true);
    if (at.r < 0) {
      if (model.get("sortable")) model.send({ type: "sort", column: columns()[at.c].title });
    } else if (opens()) {
      openRow(at.r);
    }
  });

  table.addEventListener("dblclick", (event) => {
    const at = cellOf(event.target);
    if (at && at.r >= 0 && editable(at.c)) startEdit(at.r, at.c);
  });

  table.addEventListener("focusin", (event) => {
    const at = cellOf(event.target);
    if (at && !editing) pos = at;
  });

  root.addEventListener("keydown", (event) => {
    if (editing || event.target.closest(".sn-dg-input")) return;
    const { r, c } = pos;
    let handled = true;
    switch (event.key) {
      case "ArrowDown": moveTo(r + 1, c); break;
      case "ArrowUp": moveTo(r - 1, c); break;
      case "ArrowLeft": moveTo(r, c - 1); break;
      case "ArrowRight": moveTo(r, c + 1); break;
      case "Home": moveTo(event.ctrlKey ? 0 : r, 0); break;
      case "End": moveTo(event.ctrlKey ? count() - 1 : r, columns().length - 1); break;
      case "PageDown": moveTo(Math.max(0, r) + pageRows(), c); break;
      case "PageUp": moveTo(Math.max(0, r - pageRows()), c); break;
      case "Enter":
      case " ":
        if (r < 0) {
          if (model.get("sortable")) model.send({ type: "sort", column: columns()[c].title });
        } else if (event.key === "Enter" && editable(c)) {
          startEdit(r, c);
        } else if (event.key === "Enter" && opens()) {
          openRow(r);
        } else {
          handled = false;
        }
        break;
      case "F2":
        if (r >= 0) startEdit(r, c);
        break;
      default:
        if (r >= 0 && editable(c) && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
          startEdit(r, c, event.key);
        } else {
          handled = false;
        }
    }
    if (handled) {
      event.preventDefault();
    }
    if (event.key !== "Tab") event.stopPropagation(); // no notebook shortcut from inside the grid
  });

  scroller.addEventListener("scroll", schedule);

  model.on("msg:custom", (msg) => {
    if (msg.type === "rows") {
      if (msg.view !== model.get("view")) return;
      if (asked && asked.view === msg.view) asked = null;
      cache = { view: msg.view, start: msg.start, rows: msg.rows };
      stale = false;
      draw();
    } else if (msg.type === "edited") {
      showEdited(msg);
    }
  });

  let lastTop = model.get("top");
  function onView() {
    if (model.get("top") !== lastTop) {
      lastTop = model.get("top");
      scroller.scrollTop = 0;
      cache = { view: -1, start: 0, rows: [] }; // never another view's rows under a new order
      if (pos.r >= 0) pos = { r: 0, c: pos.c };
    }
    stale = true;
    asked = null;
    draw();
  }

  function onHeader() {
    const hadFocus = root.contains(document.activeElement); // a header redrawn keeps it
    caption.textContent = model.get("caption");
    drawHeader();
    draw();
    rove(hadFocus);
  }

  model.on("change:view", onView);
  model.on("change:count", () => draw());
  model.on("change:columns", onHeader);
  model.on("change:sort_column", onHeader);
  model.on("change:sort_descending", onHeader);
  model.on("change:caption", () => { caption.textContent = model.get("caption"); });
  model.on("change:max_rows", measure);

  const sizes = new ResizeObserver(() => {
    layout();
    schedule();
  });
  sizes.observe(scroller);

  caption.textContent = model.get("caption");
  drawHeader();
  if (count() > 0) pos = { r: 0, c: 0 };
  stale = true;
  draw();

  return () => {
    sizes.disconnect();
    if (frame) cancelAnimationFrame(frame);
  };
}

export default { render };
