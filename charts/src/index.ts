// Public surface of @isd/charts: the Helm template-subset renderer and the chart helpers the tests use.
export { TemplateError, TemplateSet, formatValue, isTruthy, supportedFunctions, toYaml } from './helm-template-subset';
export type { RenderContext } from './helm-template-subset';
export { ValuesSchemaError, compileValuesSchema, mergeValues, readYamlMapping, renderChart } from './chart-renderer';
export type { ReleaseOptions, RenderedChart, RenderedObject } from './chart-renderer';
export { readValueParams, replaceValuesTable, undocumentedValues, valueParamsTable } from './values-docs';
export type { ValueParam } from './values-docs';
