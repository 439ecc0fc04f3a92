// ESLint rule `isd/package-boundaries`: the workspace graph stays what the package.json files say.
//  - a service (a package that runs as its own process) never imports another service;
//  - `@isd/<pkg>/<path>` only where <pkg>'s package.json `exports` declares `./<path>`;
//  - every `@isd/<pkg>` a file imports is declared in its own package's dependencies;
//  - no relative path reaches into another package.
// Why our own rule: docs/decisions/036-package-boundaries-lint-rule.md.
import fs from 'node:fs';
import path from 'node:path';

/** Packages that run as their own process; they share code only through libraries such as @isd/kit. */
export const SERVICES = ['@isd/visibility', '@isd/autopilot', '@isd/sapor', '@isd/controller', '@isd/agent'];

const SCOPE = '@isd/';

/** The monorepo's packages from the root package.json `workspaces`, read once per root. */
const workspacesByRoot = new Map();

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function loadWorkspaces(root) {
  let cached = workspacesByRoot.get(root);
  if (cached) return cached;
  const rootPackage = readJson(path.join(root, 'package.json'));
  const packages = (rootPackage.workspaces ?? []).map((dir) => {
    const manifest = readJson(path.join(root, dir, 'package.json'));
    return {
      name: manifest.name,
      dir: path.join(root, dir),
      declared: new Set(
        Object.keys({ ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies }),
      ),
      exports: manifest.exports,
    };
  });
  // Longest directory first, so `test/support` wins over `test` for its own files.
  packages.sort((a, b) => b.dir.length - a.dir.length);
  cached = {
    root,
    packages,
    byName: new Map(packages.map((pkg) => [pkg.name, pkg])),
  };
  workspacesByRoot.set(root, cached);
  return cached;
}

function packageOf(workspaces, file) {
  return workspaces.packages.find((pkg) => file === pkg.dir || file.startsWith(pkg.dir + path.sep));
}

/** True when package.json `exports` offers `./<subpath>` (exact keys or one `*` pattern). */
function exportsSubpath(exportsField, subpath) {
  if (!exportsField || typeof exportsField !== 'object') return false;
  const wanted = `./${subpath}`;
  return Object.keys(exportsField).some((key) => {
    if (key === wanted) return true;
    const star = key.indexOf('*');
    if (star < 0) return false;
    return wanted.startsWith(key.slice(0, star)) && wanted.endsWith(key.slice(star + 1));
  });
}

/** The repository root: the nearest directory upwards whose package.json has `workspaces`. */
function findRoot(start) {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && readJson(manifest).workspaces) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export const packageBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Keeps imports between the monorepo packages to what their package.json files declare' },
    schema: [],
    messages: {
      serviceImportsService:
        '{{importer}} is a service and may not import the service {{target}}: move what both need into a library such as @isd/kit',
      deepImport:
        "'{{specifier}}' reaches inside {{target}}: import '{{target}}', or declare './{{subpath}}' in the `exports` of its package.json",
      undeclared: '{{importer}} imports {{target}} but its package.json does not declare it: add it to dependencies',
      unknownPackage: "'{{specifier}}' names no package of this repository (root package.json `workspaces`)",
      relativeIntoPackage:
        "'{{specifier}}' reaches by relative path inside {{target}}: import '{{target}}' by its name, or declare the path in the `exports` of its package.json",
    },
  },
  create(context) {
    const file = path.resolve(context.filename);
    const root = findRoot(path.dirname(file));
    if (!root) return {};
    const workspaces = loadWorkspaces(root);
    const importer = packageOf(workspaces, file);

    function check(node, specifier) {
      if (typeof specifier !== 'string') return;
      if (specifier.startsWith('.')) {
        // A relative path into another package is held to the same entry points as its name would be.
        const resolved = path.resolve(path.dirname(file), specifier);
        const target = packageOf(workspaces, resolved);
        if (!target || target === importer) return;
        const subpath = path.relative(target.dir, resolved).split(path.sep).join('/');
        if (subpath && !exportsSubpath(target.exports, subpath)) {
          context.report({ node, messageId: 'relativeIntoPackage', data: { specifier, target: target.name } });
        }
        checkDeclared(node, target);
        return;
      }
      if (!specifier.startsWith(SCOPE)) return;
      const [scope, bare, ...rest] = specifier.split('/');
      const name = `${scope}/${bare}`;
      const target = workspaces.byName.get(name);
      if (!target) {
        context.report({ node, messageId: 'unknownPackage', data: { specifier } });
        return;
      }
      if (target === importer) return;
      if (importer && SERVICES.includes(importer.name) && SERVICES.includes(target.name)) {
        context.report({ node, messageId: 'serviceImportsService', data: { importer: importer.name, target: name } });
      }
      const subpath = rest.join('/');
      if (subpath && !exportsSubpath(target.exports, subpath)) {
        context.report({ node, messageId: 'deepImport', data: { specifier, target: name, subpath } });
      }
      checkDeclared(node, target);
    }

    // Files of the repository root itself (scripts/) belong to no package and may use every one.
    function checkDeclared(node, target) {
      if (importer && !importer.declared.has(target.name)) {
        context.report({ node, messageId: 'undeclared', data: { importer: importer.name, target: target.name } });
      }
    }

    const fromSource = (node) => node.source && check(node.source, node.source.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
      TSImportEqualsDeclaration: (node) =>
        node.moduleReference.type === 'TSExternalModuleReference' &&
        check(node.moduleReference.expression, node.moduleReference.expression.value),
      CallExpression: (node) => {
        const [argument] = node.arguments;
        const isRequire = node.callee.type === 'Identifier' && node.callee.name === 'require';
        const isJestMock =
          node.callee.type === 'MemberExpression' &&
          node.callee.object.type === 'Identifier' &&
          node.callee.object.name === 'jest' &&
          node.callee.property.type === 'Identifier' &&
          ['mock', 'requireActual', 'doMock'].includes(node.callee.property.name);
        if ((isRequire || isJestMock) && argument?.type === 'Literal') check(argument, argument.value);
      },
    };
  },
};

/** The plugin as eslint.config.mjs registers it: `isd/package-boundaries`. */
export const isdPlugin = { meta: { name: 'isd' }, rules: { 'package-boundaries': packageBoundaries } };
