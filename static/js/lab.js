// The remote lab's pages: a websocket to /ws/remotelab/ that runs scripts and calls functions,
// and an output pane that renders the widgets a script streams. The lab page has a function
// console, the user's scripts and the examples; a script's page has its editor.
(function () {
  "use strict";

  const output = document.getElementById("lab-output");
  const outputCard = document.getElementById("lab-output-card");
  const status = document.getElementById("lab-status");
  const stopButton = document.getElementById("lab-stop");
  const consoleForm = document.getElementById("lab-console");
  const consoleResult = document.getElementById("lab-console-result");
  const units = JSON.parse(document.getElementById("lab-units").textContent);
  const examplesScript = document.getElementById("lab-examples");
  const examples = examplesScript ? JSON.parse(examplesScript.textContent) : {};
  const SVG = "http://www.w3.org/2000/svg";
  const FINISHED = { done: "Finished.", error: "Ended with an error.", timeout: "Timed out.", stopped: "Stopped." };
  const PREFIXES = [[1e9, "G"], [1e6, "M"], [1e3, "k"], [1, ""], [1e-3, "m"], [1e-6, "µ"], [1e-9, "n"], [1e-12, "p"]];
  const pending = new Map(); // eval id -> what to do with its answer
  let nextId = 1;
  let socket = null;

  function say(text) {
    status.textContent = text;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    say("Not connected to the lab. Reload the page to reconnect.");
    return false;
  }

  function call(functionCall, onAnswer) {
    const id = nextId++;
    pending.set(id, onAnswer);
    if (!send({ type: "eval", function: functionCall, id: id })) pending.delete(id);
  }

  // A function's answer with the unit of what it measures: volts to the millivolt, the others
  // with an SI prefix ("10.00 kΩ", "100.0 nF").
  function displayReading(value, functionCall) {
    if (typeof value !== "number") return JSON.stringify(value, null, 1);
    const unit = units[(/^\s*(\w+)/.exec(functionCall) || [])[1]] || "";
    if (!unit) return value.toFixed(3);
    if (unit === "V" || value === 0) return `${value.toFixed(3)} ${unit}`;
    const [scale, prefix] = PREFIXES.find(([scale]) => Math.abs(value) >= scale) || PREFIXES.at(-1);
    return `${(value / scale).toPrecision(4)} ${prefix}${unit}`;
  }

  // The output's top into the upper half of the window, where a script's widgets have room.
  function showOutput() {
    const top = outputCard.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight / 2) outputCard.scrollIntoView({ block: "start" });
  }

  function widgetNamed(name) {
    return output.querySelector(`[data-name="${CSS.escape(name)}"]`);
  }

  // About `count` round values (1, 2 or 5 times a power of ten apart) covering [low, high].
  function ticks(low, high, count) {
    if (!(high - low > Math.max(Math.abs(low), Math.abs(high)) * 1e-9)) {
      const pad = Math.abs(high) / 100 || 1; // a flat line, or one that only float noise bends
      [low, high] = [low - pad, high + pad];
    }
    const rough = (high - low) / count;
    const power = 10 ** Math.floor(Math.log10(rough));
    const step = [1, 2, 5, 10].map((times) => times * power).find((size) => size >= rough);
    const first = Math.floor(low / step) * step;
    const values = [];
    for (let i = 0; i <= 2 * count && first + (i - 1) * step < high; i++) {
      values.push(Number((first + i * step).toPrecision(12)));
    }
    return values;
  }

  function svgElement(name, attributes, text) {
    const element = document.createElementNS(SVG, name);
    Object.entries(attributes).forEach(([key, value]) => element.setAttribute(key, value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function plotSvg(widget) {
    const [xs, ys] = widget.data;
    const width = Math.max(300, Math.min(600, output.clientWidth)); // text stays its size on a phone
    const height = Math.max(220, width / 2);
    const left = 64, right = 16, top = 12, bottom = 48;
    const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, class: "lab-plot", role: "img" });
    svg.dataset.name = widget.name;
    svg.setAttribute("aria-label", `${widget.ylabel || "y"} against ${widget.xlabel || "x"}`);
    if (!xs.length) return svg;
    const xTicks = ticks(Math.min(...xs), Math.max(...xs), 6);
    const yTicks = ticks(Math.min(...ys), Math.max(...ys), 5);
    const [x0, x1, y0, y1] = [xTicks[0], xTicks.at(-1), yTicks[0], yTicks.at(-1)];
    // Axes past the floats' range, or spans too small to divide by, have no scale to draw with.
    if (![x1 - x0, y1 - y0].every((span) => Number.isFinite(span) && span > 0)) {
      svg.append(svgElement("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, "These values are too far apart, or too close, to draw."));
      return svg;
    }
    const sx = (x) => left + ((x - x0) / (x1 - x0)) * (width - left - right);
    const sy = (y) => height - bottom - ((y - y0) / (y1 - y0)) * (height - top - bottom);
    for (const x of xTicks) {
      svg.append(svgElement("line", { x1: sx(x), x2: sx(x), y1: top, y2: height - bottom, class: "grid" }));
      svg.append(svgElement("text", { x: sx(x), y: height - bottom + 16, "text-anchor": "middle" }, String(x)));
    }
    for (const y of yTicks) {
      svg.append(svgElement("line", { x1: left, x2: width - right, y1: sy(y), y2: sy(y), class: "grid" }));
      svg.append(svgElement("text", { x: left - 6, y: sy(y) + 4, "text-anchor": "end" }, String(y)));
    }
    svg.append(svgElement("polyline", { class: "axis", points: `${left},${top} ${left},${height - bottom} ${width - right},${height - bottom}` }));
    if (widget.xlabel) {
      svg.append(svgElement("text", { x: (left + width - right) / 2, y: height - 8, "text-anchor": "middle", class: "axis-label" }, widget.xlabel));
    }
    if (widget.ylabel) {
      const middle = (top + height - bottom) / 2;
      svg.append(svgElement("text", { x: 14, y: middle, "text-anchor": "middle", transform: `rotate(-90 14 ${middle})`, class: "axis-label" }, widget.ylabel));
    }
    const points = xs.map((x, i) => `${sx(x).toFixed(1)},${sy(ys[i]).toFixed(1)}`).join(" ");
    svg.append(svgElement("polyline", { points: points, class: "trace" }));
    return svg;
  }

  function render(widget) {
    if (widget.type === "plot") return plotSvg(widget);
    const element = document.createElement(widget.type === "button" ? "button" : "span");
    element.dataset.name = widget.name;
    if (widget.type === "button") {
      element.type = "button";
      element.className = "button lab-button";
      element.textContent = widget.label;
      element.addEventListener("click", () => {
        const target = widgetNamed(widget.action.success.target);
        if (target) target.textContent = "…";
        call(widget.action.endpoint, (answer) => {
          if (!target) return;
          target.textContent = "error" in answer ? answer.error : displayReading(answer.result, widget.action.endpoint);
        });
      });
    } else {
      element.className = widget.type === "label" ? "lab-label" : "lab-span" + (widget.class ? " well" : "");
      element.textContent = widget.value;
    }
    return element;
  }

  function onMessage(event) {
    const message = JSON.parse(event.data);
    if (message.type === "started") {
      output.replaceChildren();
      stopButton.disabled = false;
      say("Running…");
      showOutput();
    } else if (message.type === "widget") {
      output.append(render(message.widget));
    } else if (message.type === "finished") {
      stopButton.disabled = true;
      say(FINISHED[message.status] || message.status);
      if (message.error) {
        const error = document.createElement("pre");
        error.className = "lab-error";
        error.textContent = message.error;
        output.append(error);
      }
    } else if ((message.type === "result" || message.type === "error") && pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    } else if (message.type === "error") {
      say(message.error);
      showOutput();
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/remotelab/`);
    socket.addEventListener("open", () => say("Connected to the lab."));
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", (event) => {
      stopButton.disabled = true;
      say(event.code === 4401 ? "Log in to use the lab." : "Disconnected from the lab. Reload the page to reconnect.");
    });
  }

  if (consoleForm) {
    consoleForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const functionCall = consoleForm.elements.function.value;
      consoleResult.textContent = "…";
      call(functionCall, (answer) => {
        consoleResult.textContent = "error" in answer ? `Error: ${answer.error}` : displayReading(answer.result, functionCall);
      });
    });
  }
  stopButton.addEventListener("click", () => send({ type: "stop" }));
  document.querySelectorAll("[data-run-script]").forEach((button) =>
    button.addEventListener("click", () => send({ type: "run", script: Number(button.dataset.runScript) })),
  );
  document.querySelectorAll("[data-run-example]").forEach((button) =>
    button.addEventListener("click", () => send({ type: "run", code: examples[button.dataset.runExample] })),
  );
  const runEditor = document.getElementById("lab-run-editor");
  if (runEditor) {
    runEditor.addEventListener("click", () => send({ type: "run", code: runEditor.form.elements.code.value }));
  }
  connect();
})();
