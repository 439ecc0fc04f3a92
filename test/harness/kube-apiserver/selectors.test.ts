import { parseFieldSelector, parseLabelSelector } from './selectors';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'app.kubernetes.io/name': 'shop' };

  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app in (db, web)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app.kubernetes.io/name=shop,tier in (front,back)', true],
    ['app=web,tier=back', false],
    ['missing!=x', true],
  ])('%s matches: %s', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it('refuses a malformed requirement, naming it', () => {
    expect(() => parseLabelSelector('app in web')).toThrow('"app in web" is not a valid label selector');
  });
});

describe('field selectors', () => {
  const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', namespace: 'shop' } };

  it('matches metadata.name and metadata.namespace with = and !=', () => {
    expect(parseFieldSelector('metadata.name=web-0')(object)).toBe(true);
    expect(parseFieldSelector('metadata.name=web-0,metadata.namespace!=shop')(object)).toBe(false);
  });

  it('refuses fields the harness does not index, as the apiserver does', () => {
    expect(() => parseFieldSelector('status.phase=Running')).toThrow('field label not supported: status.phase');
  });
});
