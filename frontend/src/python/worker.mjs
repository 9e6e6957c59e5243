// The worker that runs a learner's Python program with Pyodide, so that a
// busy or blocked program never freezes the page. Socket calls leave as
// "call" messages to the page, which does them through the relay and
// answers with "reply"; the program waits for each answer with Pyodide's
// run_sync, which suspends WebAssembly on a JavaScript promise (JavaScript
// Promise Integration), so `recv()` blocks the program and nothing else.
//
// Messages from the page: {type: "run", code, filename, pyodide, modules}
// (the URLs of Pyodide and of the page's own Python modules) and
// {type: "reply", reply}. Messages to the page: {type: "ready"},
// {type: "out", stream, text}, {type: "call", request} and
// {type: "exit", status, error}.

let pending = new Map();

self.roundtrip_call = (request) =>
  new Promise((resolve) => {
    const id = JSON.parse(request).id;
    pending.set(id, resolve);
    postMessage({ type: "call", request });
  });

function out(stream) {
  return { batched: (text) => postMessage({ type: "out", stream, text: text + "\n" }) };
}

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg.type === "reply") {
    const reply = JSON.parse(msg.reply);
    const resolve = pending.get(reply.id);
    pending.delete(reply.id);
    if (resolve) resolve(msg.reply);
    return;
  }
  if (msg.type !== "run") return;
  let pyodide, shim, requests, threads, streams;
  try {
    // The page's modules come while Pyodide loads.
    const modules = Promise.all(
      ["socket_shim.py", "requests_shim.py", "threads_shim.py", "asyncio_shim.py"].map(async (name) => {
        const response = await fetch(msg.modules + name);
        if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
        return response.text();
      }),
    );
    modules.catch(() => {}); // reported below, if Pyodide loads
    const { loadPyodide } = await import(msg.pyodide + "pyodide.mjs");
    pyodide = await loadPyodide({ indexURL: msg.pyodide });
    [shim, requests, threads, streams] = await modules;
  } catch (error) {
    postMessage({ type: "exit", status: 1, error: "Python could not start: " + error });
    return;
  }
  if (typeof WebAssembly.Suspending !== "function") {
    postMessage({
      type: "exit",
      status: 1,
      error:
        "This browser cannot pause a program while it waits for the network " +
        "(JavaScript Promise Integration). Chromium 137 or newer can.",
    });
    return;
  }
  // The socket module names the line of this file that made each call.
  self.roundtrip_program_file = msg.filename;
  pyodide.setStdout(out("stdout"));
  pyodide.setStderr(out("stderr"));
  postMessage({ type: "ready" });
  try {
    // The shim is a module of its own (its names must not mix with the
    // program's), imported once: it patches the standard `socket` module.
    pyodide.FS.writeFile("/home/pyodide/_roundtrip_socket.py", shim);
    pyodide.runPython("import _roundtrip_socket");
    // `requests` (a subset whose requests the relay makes), imported only
    // by a program that imports it.
    pyodide.FS.writeFile("/home/pyodide/requests.py", requests);
    // Threads as tasks that switch where a thread blocks (see the file).
    pyodide.FS.writeFile("/home/pyodide/_roundtrip_threads.py", threads);
    pyodide.runPython("import _roundtrip_threads");
    // asyncio's open_connection and start_server over the page's sockets.
    pyodide.FS.writeFile("/home/pyodide/_roundtrip_asyncio.py", streams);
    pyodide.runPython("import _roundtrip_asyncio");
    await pyodide.runPythonAsync(msg.code, { filename: msg.filename });
    // As CPython does, the program ends when its non-daemon threads have.
    await pyodide.runPythonAsync("import _roundtrip_threads\n_roundtrip_threads.join_all()");
    postMessage({ type: "exit", status: 0 });
  } catch (error) {
    // A Python exception: its traceback, with the learner's file name and
    // line numbers, minus Pyodide's own frames.
    const text = String(error.message || error);
    postMessage({ type: "exit", status: 1, error: learnerTraceback(text, msg.filename) });
  }
};

// Pyodide's traceback starts inside its own code (`_pyodide/_base.py`):
// keep the header and the frames from the learner's file on.
function learnerTraceback(text, filename) {
  const lines = text.split("\n");
  const first = lines.findIndex((line) => line.includes(`File "${filename}"`));
  if (first < 0) return text.trim();
  return ["Traceback (most recent call last):", ...lines.slice(first)].join("\n").trim();
}
