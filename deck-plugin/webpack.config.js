// Builds the plugin as Deck loads it: one ES module `build/dist/index.js` with a named export `plugin`.
// Everything Deck shares is read from window.spinnaker.plugins.sharedLibraries at run time
// (spinnaker/deck packages/core/src/plugins/sharedLibraries.ts), never bundled.
const path = require('node:path');

const { forbidden, sharedLibraries, sizeBudgetBytes } = require('./build-settings.js');

function sharedGlobal(name) {
  return `window.spinnaker.plugins.sharedLibraries[${JSON.stringify(name.replace(/[^\w]/g, '_'))}]`;
}

module.exports = {
  mode: 'production',
  context: __dirname,
  entry: './src/index.ts',
  target: ['web', 'es2020'],
  experiments: { outputModule: true },
  output: {
    path: path.join(__dirname, 'build/dist'),
    filename: 'index.js',
    library: { type: 'module' },
    module: true,
    clean: true,
  },
  devtool: 'source-map',
  resolve: {
    extensions: ['.ts', '.tsx', '.js'],
    // The package's index also exports the Node-only YAML renderer; the browser needs only the catalog,
    // which imports nothing. A name the catalog lacks fails this build loudly.
    alias: { '@isd/orca-stages$': path.join(__dirname, '../orca-stages/src/catalog.ts') },
    extensionAlias: { '.js': ['.ts', '.tsx', '.js'] },
  },
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        loader: 'swc-loader',
        options: {
          jsc: {
            parser: { syntax: 'typescript', tsx: true },
            transform: { react: { runtime: 'classic' } },
            target: 'es2020',
          },
        },
      },
    ],
  },
  externalsType: 'var',
  externals: ({ request }, callback) => {
    const bare = request
      .split('/')
      .slice(0, request.startsWith('@') ? 2 : 1)
      .join('/');
    if (forbidden.includes(bare)) {
      return callback(
        new Error(`${request} must not be bundled: use what Deck passes in (formik via FormikStageConfig's render)`),
      );
    }
    if (sharedLibraries.includes(request)) return callback(null, sharedGlobal(request));
    if (sharedLibraries.includes(bare)) {
      return callback(new Error(`${request}: only the root of shared library ${bare} is available at run time`));
    }
    return callback();
  },
  performance: { hints: 'error', maxAssetSize: sizeBudgetBytes, maxEntrypointSize: sizeBudgetBytes },
};
