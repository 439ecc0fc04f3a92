// Bundles the browser test's host page: the real @spinnaker/core, React and friends, published as
// Deck publishes them. Only the test uses this; the plugin itself never bundles these.
const path = require('node:path');
const webpack = require('webpack');

const pluginRoot = path.join(__dirname, '..', '..');

module.exports = {
  mode: 'development',
  context: __dirname,
  entry: './host.tsx',
  target: ['web', 'es2020'],
  devtool: false,
  output: { path: path.join(pluginRoot, 'build/browser-host'), filename: 'host.js', clean: true },
  // Core is 2.4 MB of minified code; the filesystem cache keeps rebuilds to seconds.
  cache: {
    type: 'filesystem',
    cacheDirectory: path.join(pluginRoot, 'build/.webpack-cache'),
    buildDependencies: { config: [__filename] },
  },
  resolve: {
    extensions: ['.ts', '.tsx', '.js'],
    mainFields: ['browser', 'module', 'main'],
    // js-yaml's binary type (unused by the plugin) reaches for Node's Buffer.
    fallback: { buffer: false },
    alias: {
      // Only Deck's own build defines this alias.
      'root/version.json': path.join(pluginRoot, 'test/stubs/version.json'),
      // Required by core's sharedLibraries code but not among its dependencies; unused here.
      '@spinnaker/kayenta': false,
      'react-redux': false,
      'redux-actions': false,
      reselect: false,
      // The ES build has an import cycle (Grid/types.js) webpack evaluates too early; Deck's build uses CommonJS.
      'react-virtualized$': require.resolve('react-virtualized/dist/commonjs/index.js'),
    },
  },
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        exclude: /node_modules/,
        loader: 'swc-loader',
        options: {
          jsc: {
            parser: { syntax: 'typescript', tsx: true },
            transform: { react: { runtime: 'classic' } },
            target: 'es2020',
          },
        },
      },
      { test: /\.css$/, use: [path.join(__dirname, 'css-inject-loader.js')] },
      // Fonts and images referenced from CSS are not served to the test page.
      { test: /\.(woff2?|ttf|eot|svg|png|gif|jpe?g)$/, type: 'asset/inline' },
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
    ],
  },
  plugins: [
    // bootstrap's JS plugins expect a global jQuery, as on Deck's page.
    new webpack.ProvidePlugin({ jQuery: 'jquery', $: 'jquery', 'window.jQuery': 'jquery' }),
    new webpack.DefinePlugin({ 'process.env.NODE_ENV': JSON.stringify('development') }),
  ],
  performance: { hints: false },
  stats: 'errors-warnings',
};
