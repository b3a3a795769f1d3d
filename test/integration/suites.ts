// Every integration test file, imported statically so esbuild bundles them into
// dist/test/integration/index.js. Add new suites here.
import './smoke.test';
import './lsp.test';
import './commands.test';
import './training.test';
import './export.test';
import './graph.test';
import './compare.test';
import './conventions.test';
import './onnx.test';
