// The page side of sinch-notebook's upload button (widgets/upload/widget.py is the kernel side).
//
// A real <button> labelled with its description alone (no count), so it is reached by Tab and
// pressed with Enter or Space; it opens a hidden <input type=file accept=...>. The chosen file
// goes to the kernel in custom messages, {type: "file", name, size, offset, last}, each with one
// part of its bytes as the buffer: never as a synced trait, so no file is ever in the widget's
// saved state. A file beyond max_bytes is only named ({type: "refused", name, size}). Colours
// are the page's CSS variables. No JupyterLab API is used: it runs wherever anywidget does.

function render({ model, el: host }) {
  const root = document.createElement("div");
  root.className = "sn-upload";
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "sn-upload-button";
  const icon = document.createElement("i"); // ipywidgets' own icon font, as its buttons have
  icon.className = "fa fa-upload sn-upload-icon";
  icon.setAttribute("aria-hidden", "true");
  const label = document.createElement("span");
  button.append(icon, label);
  const input = document.createElement("input");
  input.type = "file";
  input.className = "sn-upload-input";
  input.hidden = true;
  input.tabIndex = -1;
  input.setAttribute("aria-hidden", "true");
  root.append(button, input);
  host.append(root);

  function draw() {
    label.textContent = model.get("description");
    input.accept = model.get("accept");
    button.disabled = input.disabled = Boolean(model.get("disabled"));
  }

  async function send() {
    const file = input.files && input.files[0];
    input.value = ""; // so choosing the same file again is heard again
    if (!file) return;
    const { name, size } = file;
    const most = model.get("max_bytes");
    if (most && size > most) {
      model.send({ type: "refused", name, size }); // its bytes never leave the page
      return;
    }
    // In parts: a websocket message larger than 10 MiB is dropped without a word.
    const step = model.get("part_bytes");
    button.setAttribute("aria-busy", "true");
    try {
      let offset = 0;
      do {
        const part = await file.slice(offset, offset + step).arrayBuffer();
        const last = offset + step >= size;
        model.send({ type: "file", name, size, offset, last }, undefined, [part]);
        offset += step;
      } while (offset < size);
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  button.addEventListener("click", () => input.click());
  input.addEventListener("change", send);
  model.on("change:description", draw);
  model.on("change:accept", draw);
  model.on("change:disabled", draw);
  draw();
  return () => {
    model.off("change:description", draw);
    model.off("change:accept", draw);
    model.off("change:disabled", draw);
  };
}

export default { render };
