// Lets the benchmark's separate processes (load generator, target, controller, agent) run the
// TypeScript sources without a build: .ts files are compiled on require with swc, and @isd/* names
// resolve to workspace sources as in jest.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const swc = require('@swc/core');
const { workspaceSources } = require('../../jest.shared.js');

const root = path.join(__dirname, '..', '..');
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolve(request, parent, ...rest) {
  const source = workspaceSources[request];
  if (source) return path.join(root, source, 'index.ts');
  return originalResolve.call(this, request, parent, ...rest);
};
Module._extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
