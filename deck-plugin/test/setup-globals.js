// What Deck's page provides before @spinnaker/core loads: jQuery for bootstrap's JS plugins, settings.
// (Tests that run in the node environment, like the browser test, have no window and skip this.)
if (typeof window !== 'undefined') {
  const jquery = require('jquery');
  window.jQuery = jquery;
  window.$ = jquery;
  window.spinnakerSettings = { gateUrl: 'http://gate.test', feature: {}, authEnabled: true };
}

// Deck's own components (react-bootstrap Overlay, Formik 1.5 inside FormikFormField) trigger React 16
// deprecation and unmounted-update warnings that say nothing about this plugin; keep test output readable.
const noise = [
  /has been renamed, and is not recommended for use/,
  /Can't perform a React state update on an unmounted component/,
];
for (const level of ['error', 'warn']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    if (typeof args[0] === 'string' && noise.some((pattern) => pattern.test(args[0]))) return;
    original(...args);
  };
}
