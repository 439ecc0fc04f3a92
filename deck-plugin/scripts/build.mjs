// `npm run build -w deck-plugin`: webpack through its Node API (webpack-cli needs a newer Node), then
// prints the size of index.js against the 300 KB budget.
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const webpack = require('webpack');
const config = require('../webpack.config.js');
const { sizeBudgetBytes } = require('../build-settings.js');

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

const stats = await new Promise((resolve, reject) => {
  webpack(config, (error, result) => (error ? reject(error) : resolve(result)));
});
if (stats.hasErrors() || stats.hasWarnings()) {
  console.error(stats.toString({ all: false, errors: true, warnings: true }));
}
if (stats.hasErrors()) process.exit(1);
const bytes = statSync(path.join(root, 'build/dist/index.js')).size;
console.log(`deck-plugin: build/dist/index.js ${(bytes / 1024).toFixed(1)} KB (budget ${sizeBudgetBytes / 1024} KB)`);
