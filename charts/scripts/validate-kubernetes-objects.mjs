// Validates Kubernetes objects against the OpenAPI schemas shipped in kubernetes-models (offline).
// kubernetes-models is ES-module only, so the chart tests run this in a child process:
// stdin = JSON array of objects; stdout = JSON array of {index, error} for the objects that fail.
import { readFileSync } from 'node:fs';

const groupPath = (apiVersion) => (apiVersion.includes('/') ? apiVersion : `v1`);

const objects = JSON.parse(readFileSync(0, 'utf8'));
const failures = [];
for (const [index, object] of objects.entries()) {
  try {
    const module = await import(`kubernetes-models/${groupPath(object.apiVersion)}/${object.kind}`);
    const Model = module[object.kind];
    if (!Model || Model.apiVersion !== object.apiVersion)
      throw new Error(`unknown kind ${object.apiVersion} ${object.kind}`);
    new Model(object).validate();
  } catch (error) {
    failures.push({ index, error: String(error && error.message ? error.message : error) });
  }
}
process.stdout.write(JSON.stringify(failures));
