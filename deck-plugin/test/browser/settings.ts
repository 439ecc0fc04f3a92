// Runs before @spinnaker/core is evaluated: core reads window.spinnakerSettings once, at import.
const origin = window.location.origin;
(window as unknown as { spinnakerSettings: Record<string, unknown> }).spinnakerSettings = {
  gateUrl: origin,
  authEnabled: true,
  feature: {},
  defaultProviders: [],
  providers: {},
};
export {};
