// Pins what the chart renderer does around the template subset, as `helm template` does it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergeValues, renderChart, ValuesSchemaError } from './chart-renderer';

function writeChart(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-chart-renderer-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const base = {
  'Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: "4.5"\n',
  'values.yaml': 'replicas: 2\nlabels:\n  a: "1"\n  b: "2"\n',
  'values.schema.json': JSON.stringify({
    type: 'object',
    additionalProperties: false,
    properties: { replicas: { type: 'integer' }, labels: { type: 'object', additionalProperties: { type: 'string' } } },
  }),
  'templates/_helpers.tpl': '{{- define "demo.name" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}',
  'templates/cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: {{ include "demo.name" . }}',
    '  labels: {{- toYaml .Values.labels | nindent 4 }}',
    'data:',
    '  chart: {{ .Chart.Version }}-{{ .Chart.AppVersion }}',
    '  namespace: {{ .Release.Namespace }}',
    '  file: {{ .Files.Get "files/a.txt" | quote }}',
    '---',
    '# an empty document is dropped',
    '---',
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    '  name: mode',
    'data: {}',
    'spec:',
    '  defaultMode: 0400',
    '  enabled: yes',
  ].join('\n'),
  'templates/NOTES.txt': 'replicas={{ .Values.replicas }}',
  'files/a.txt': 'hello',
};

describe('renderChart', () => {
  let dir: string;
  beforeAll(() => {
    dir = writeChart(base);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('renders templates with release, chart and files, skipping _ files and empty documents', () => {
    const chart = renderChart(dir, [], { name: 'rel', namespace: 'ns' });
    expect(chart.objects.map(({ object }) => `${object.kind}/${object.metadata.name}`)).toEqual([
      'ConfigMap/rel-demo',
      'Secret/mode',
    ]);
    expect(chart.objects[0]?.object.data).toEqual({ chart: '1.2.3-4.5', namespace: 'ns', file: 'hello' });
    expect(chart.notes).toBe('replicas=2');
  });

  it('reads manifests with YAML 1.1 rules like Helm and kubectl (octal modes, yes/no booleans)', () => {
    const secret = renderChart(dir).objects[1]?.object as unknown as {
      spec: { defaultMode: number; enabled: boolean };
    };
    expect(secret.spec).toEqual({ defaultMode: 256, enabled: true });
  });

  it('merges values files in order, with null deleting a default', () => {
    const chart = renderChart(dir, [{ labels: { b: null, c: '3' } }, { replicas: 5 }]);
    expect(chart.objects[0]?.object.metadata.labels).toEqual({ a: '1', c: '3' });
    expect(chart.notes).toBe('replicas=5');
  });

  it('validates the merged values against values.schema.json before rendering', () => {
    expect(() => renderChart(dir, [{ replica: 3 }])).toThrow(ValuesSchemaError);
    expect(() => renderChart(dir, [{ replicas: 'x' }])).toThrow(/\/replicas: must be integer/);
  });

  it('refuses a file outside the chart through .Files.Get', () => {
    const escape = writeChart({
      ...base,
      'templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  f: {{ .Files.Get "../../etc/passwd" | quote }}\n',
    });
    try {
      expect(renderChart(escape).objects[0]?.object.data).toEqual({ f: '' });
    } finally {
      fs.rmSync(escape, { recursive: true, force: true });
    }
  });

  it('reports a template that renders invalid YAML, naming the file', () => {
    const broken = writeChart({
      ...base,
      'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n',
    });
    try {
      expect(() => renderChart(broken)).toThrow(/demo\/templates\/cm.yaml: rendered YAML is invalid/);
    } finally {
      fs.rmSync(broken, { recursive: true, force: true });
    }
  });
});

describe('mergeValues', () => {
  it('replaces lists rather than merging them', () => {
    expect(mergeValues({ a: [1, 2], b: { c: 1 } }, { a: [3], b: { d: 2 } })).toEqual({ a: [3], b: { c: 1, d: 2 } });
  });
});
