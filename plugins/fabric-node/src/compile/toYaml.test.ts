import { toYaml, toYamlDocument } from './toYaml';

describe('toYaml', () => {
  it('writes nested maps and sequences in block style, keys in the given order', () => {
    expect(
      toYamlDocument({
        apiVersion: 'karpenter.sh/v1',
        kind: 'NodePool',
        metadata: { name: 'fabric-abc', labels: { 'fabric.cloudspectra.io/cell': '111111111111.us-east-1' } },
        spec: {
          requirements: [
            { key: 'topology.k8s.aws/zone-id', operator: 'In', values: ['use1-az4', 'use1-az6'] },
            { key: 'karpenter.sh/capacity-type', operator: 'Exists' },
          ],
          weight: 50,
          limits: { cpu: '384' },
          nested: [[1, 2], []],
          empty: {},
        },
      }),
    ).toBe(
      [
        'apiVersion: karpenter.sh/v1',
        'kind: NodePool',
        'metadata:',
        '  name: fabric-abc',
        '  labels:',
        '    fabric.cloudspectra.io/cell: "111111111111.us-east-1"',
        'spec:',
        '  requirements:',
        '    - key: topology.k8s.aws/zone-id',
        '      operator: In',
        '      values:',
        '        - use1-az4',
        '        - use1-az6',
        '    - key: karpenter.sh/capacity-type',
        '      operator: Exists',
        '  weight: 50',
        '  limits:',
        '    cpu: "384"',
        '  nested:',
        '    - - 1',
        '      - 2',
        '    - []',
        '  empty: {}',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['true', '"true"'],
    ['on', '"on"'],
    ['No', '"No"'],
    ['null', '"null"'],
    ['~', '"~"'],
    ['0', '"0"'],
    ['1e3', '"1e3"'],
    ['10%', '"10%"'],
    ['', '""'],
    ['al2023@latest', 'al2023@latest'],
    ['a: b', '"a: b"'],
    ['#comment', '"#comment"'],
    ['- item', '"- item"'],
    ['line\nbreak', '"line\\nbreak"'],
    ['component:default/trainer', '"component:default/trainer"'],
    ['del\u007f', '"del\\u007f"'],
  ])('keeps the string %j a string', (value, expected) => {
    expect(toYamlDocument({ v: value })).toBe(`v: ${expected}\n`);
  });

  it('writes scalars as YAML reads them', () => {
    expect(toYamlDocument({ a: 1, b: 2.5, c: true, d: null, e: [] })).toBe('a: 1\nb: 2.5\nc: true\nd: null\ne: []\n');
    expect(() => toYamlDocument({ a: Infinity })).toThrow(/cannot hold Infinity/);
  });

  it('separates documents with ---', () => {
    expect(toYaml([{ a: 1 }, { b: 'x' }])).toBe('---\na: 1\n---\nb: x\n');
  });
});
