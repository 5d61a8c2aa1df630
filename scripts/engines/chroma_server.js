// Runs the real Chroma 1.0.19 server (npm chromadb-js-bindings-linux-x64-gnu@1.0.5) in this
// process: node chroma_server.js PERSIST_DIR PORT. Started and stopped by scripts/chroma-server.sh.
const path = require('path');
const modules = process.env.CM_NODE_MODULES || path.join(__dirname, '..', '..', '.engines', 'node_modules');
const bindings = require(path.join(modules, 'chromadb-js-bindings-linux-x64-gnu'));
const [dir, port] = process.argv.slice(2);
if (!dir || !port) {
  console.error('usage: node chroma_server.js PERSIST_DIR PORT');
  process.exit(2);
}
bindings.cli(['chroma', 'run', '--path', dir, '--port', String(port)]);
