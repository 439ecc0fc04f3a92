// What Deck's page provides before @spinnaker/core loads: jQuery for bootstrap's JS plugins, settings.
const jquery = require('jquery');
window.jQuery = jquery;
window.$ = jquery;
window.spinnakerSettings = { gateUrl: 'http://gate.test', feature: {}, authEnabled: true };
