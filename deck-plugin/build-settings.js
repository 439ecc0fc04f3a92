// Facts about Deck's runtime the build, the packaging and the browser test share.

/** Libraries Deck publishes; the key on sharedLibraries is the name with non-word characters as `_`. */
const sharedLibraries = [
  'ajv',
  '@spinnaker/core',
  '@spinnaker/kayenta',
  '@uirouter/core',
  '@uirouter/react',
  '@uirouter/rx',
  'lodash',
  'prop-types',
  'react',
  'react-dom',
  'react-redux',
  'redux-actions',
  'reselect',
  'rxjs',
  'rxjs/Observable',
];

/** Packages Deck uses but does not share: bundling a second copy breaks hooks and context, so it is an error. */
const forbidden = ['formik', 'angular', 'react-select'];

const sizeBudgetBytes = 300 * 1024;

module.exports = { forbidden, sharedLibraries, sizeBudgetBytes };
