// Public surface of @isd/charts: running the real helm on the charts, and the value-docs helpers.
export { HelmError, helm, parseManifests, readYamlMapping, renderChart, valuesFileArgs } from './helm';
export type { HelmOptions, ReleaseOptions, RenderedChart, RenderedObject } from './helm';
export { readValueParams, replaceValuesTable, undocumentedValues, valueParamsTable } from './values-docs';
export type { ValueParam } from './values-docs';
