// Some Spinnaker packages declare only `module` (no `main`); let jest's resolver use it.
module.exports = (request, options) =>
  options.defaultResolver(request, {
    ...options,
    packageFilter: (pkg) => (pkg.main || !pkg.module ? pkg : { ...pkg, main: pkg.module }),
  });
