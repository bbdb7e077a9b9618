// The remote lab page: a websocket to /ws/remotelab/ that runs scripts and calls functions,
// and an output pane that renders the widgets a script streams.
(function () {
  "use strict";

  const output = document.getElementById("lab-output");
  const status = document.getElementById("lab-status");
  const stopButton = document.getElementById("lab-stop");
  const consoleForm = document.getElementById("lab-console");
  const consoleResult = document.getElementById("lab-console-result");
  const examples = JSON.parse(document.getElementById("lab-examples").textContent);
  const SVG = "http://www.w3.org/2000/svg";
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

  function displayNumber(value) {
    return typeof value === "number" ? value.toFixed(3) : JSON.stringify(value);
  }

  function widgetNamed(name) {
    return output.querySelector(`[data-name="${CSS.escape(name)}"]`);
  }

  function plotSvg(widget) {
    const [xs, ys] = widget.data;
    const width = 600, height = 240, pad = 30;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("class", "lab-plot");
    svg.setAttribute("role", "img");
    svg.dataset.name = widget.name;
    if (!xs.length) return svg;
    const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
    const [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
    const sx = (x) => pad + ((x - xMin) / (xMax - xMin || 1)) * (width - 2 * pad);
    const sy = (y) => height - pad - ((y - yMin) / (yMax - yMin || 1)) * (height - 2 * pad);
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", xs.map((x, i) => `${sx(x).toFixed(1)},${sy(ys[i]).toFixed(1)}`).join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", "currentColor");
    svg.append(line);
    for (const [text, x, y, anchor] of [
      [yMax.toPrecision(3), 2, pad, "start"],
      [yMin.toPrecision(3), 2, height - pad, "start"],
      [xMin.toPrecision(3), pad, height - 8, "start"],
      [xMax.toPrecision(3), width - pad, height - 8, "end"],
    ]) {
      const label = document.createElementNS(SVG, "text");
      Object.entries({ x: x, y: y, "text-anchor": anchor, "font-size": 11 }).forEach(([k, v]) => label.setAttribute(k, v));
      label.textContent = text;
      svg.append(label);
    }
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
          target.textContent = "error" in answer ? answer.error : displayNumber(answer.result);
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
    } else if (message.type === "widget") {
      output.append(render(message.widget));
    } else if (message.type === "finished") {
      stopButton.disabled = true;
      say(`Finished: ${message.status}.`);
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

  consoleForm.addEventListener("submit", (event) => {
    event.preventDefault();
    consoleResult.textContent = "…";
    call(consoleForm.elements.function.value, (answer) => {
      consoleResult.textContent = "error" in answer ? `Error: ${answer.error}` : JSON.stringify(answer.result, null, 1);
    });
  });
  stopButton.addEventListener("click", () => send({ type: "stop" }));
  document.querySelectorAll("[data-run-script]").forEach((button) =>
    button.addEventListener("click", () => send({ type: "run", script: Number(button.dataset.runScript) })),
  );
  document.querySelectorAll("[data-run-example]").forEach((button) =>
    button.addEventListener("click", () => send({ type: "run", code: examples[button.dataset.runExample] })),
  );
  connect();
})();
