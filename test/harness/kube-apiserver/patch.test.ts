import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch';

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, deletes keys set to null and replaces arrays whole', () => {
    const target = { a: 1, b: { c: 2, d: 3 }, list: [1, 2] };
    expect(applyMergePatch(target, { b: { c: null, e: 4 }, list: [3], f: 'x' })).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      list: [3],
      f: 'x',
    });
    expect(target).toEqual({ a: 1, b: { c: 2, d: 3 }, list: [1, 2] });
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies add, replace, remove, move, copy and test in order', () => {
    const result = applyJsonPatch({ a: { b: 1 }, list: ['x'] }, [
      { op: 'add', path: '/list/-', value: 'y' },
      { op: 'replace', path: '/a/b', value: 2 },
      { op: 'copy', from: '/a/b', path: '/c' },
      { op: 'move', from: '/list/0', path: '/first' },
      { op: 'test', path: '/c', value: 2 },
      { op: 'remove', path: '/a' },
    ]);
    expect(result).toEqual({ list: ['y'], c: 2, first: 'x' });
  });

  it('decodes ~1 and ~0 in pointers (label keys with slashes)', () => {
    expect(
      applyJsonPatch({ labels: {} }, [{ op: 'add', path: '/labels/app.kubernetes.io~1name', value: 'web' }]),
    ).toEqual({ labels: { 'app.kubernetes.io/name': 'web' } });
  });

  it('answers 422 naming the path when a remove target is missing or a test fails', () => {
    expect(() => applyJsonPatch({ a: {} }, [{ op: 'remove', path: '/a/missing' }])).toThrow(
      '"/a/missing" does not exist',
    );
    expect(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow('test failed at "/a"');
  });

  it('answers 400 for a body that is not a list of operations', () => {
    expect(() => applyJsonPatch({}, { op: 'add' })).toThrow('must be an array');
    expect(() => applyJsonPatch({}, [{ op: 'frobnicate', path: '/a' }])).toThrow('unknown op "frobnicate"');
  });
});

describe('strategic merge patch', () => {
  const pod = {
    spec: {
      containers: [
        { name: 'main', image: 'nginx:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
        { name: 'sidecar', image: 'envoy:1' },
      ],
    },
  };

  it('merges containers by name and their env by name', () => {
    const patched = applyStrategicMergePatch(pod, {
      spec: { containers: [{ name: 'main', image: 'nginx:2', env: [{ name: 'B', value: '2' }] }] },
    });
    expect(patched).toEqual({
      spec: {
        containers: [
          {
            name: 'main',
            image: 'nginx:2',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
            ports: [{ containerPort: 80 }],
          },
          { name: 'sidecar', image: 'envoy:1' },
        ],
      },
    });
  });

  it('honours $patch: delete on a list item and $patch: replace on a map', () => {
    const withoutSidecar = applyStrategicMergePatch(pod, {
      spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] },
    }) as typeof pod;
    expect(withoutSidecar.spec.containers.map((container) => container.name)).toEqual(['main']);
    expect(applyStrategicMergePatch({ data: { a: '1', b: '2' } }, { data: { $patch: 'replace', c: '3' } })).toEqual({
      data: { c: '3' },
    });
  });

  it('replaces lists without a merge key (command, args) whole and ignores $setElementOrder', () => {
    const patched = applyStrategicMergePatch(
      { spec: { args: ['a', 'b'] } },
      { spec: { args: ['c'] }, '$setElementOrder/containers': [{ name: 'x' }] },
    );
    expect(patched).toEqual({ spec: { args: ['c'] } });
  });

  it('merges service ports by port and deletes from primitive lists', () => {
    const service = { spec: { ports: [{ port: 80, targetPort: 8080 }] }, metadata: { finalizers: ['a', 'b'] } };
    const patched = applyStrategicMergePatch(service, {
      spec: { ports: [{ port: 443, targetPort: 8443 }] },
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
    });
    expect(patched).toEqual({
      spec: {
        ports: [
          { port: 80, targetPort: 8080 },
          { port: 443, targetPort: 8443 },
        ],
      },
      metadata: { finalizers: ['b'] },
    });
  });
});
