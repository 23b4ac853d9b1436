import { expect } from 'chai';
import {
  escapeXml, QueryParams, regionFromAuthorization, renderEc2Document,
} from '../../src/ec2/emulator/index.js';

describe('ec2 emulator: wire helpers', () => {
  it('QueryParams reads flattened 1-based lists and nested structures', () => {
    const q = QueryParams.parse(
      'Action=DescribeInstances&Filter.1.Name=tag%3ARole&Filter.1.Value.1=web%2A&Filter.1.Value.2=db%3F' +
        '&Filter.2.Name=instance-state-name&Filter.2.Value.1=running&InstanceId.2=i-b&InstanceId.1=i-a&InstanceId.10=i-c' +
        '&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=node-1' +
        '&TagSpecification.2.ResourceType=volume&TagSpecification.2.Tag.1.Key=V&Tag.1.Key=Env&Tag.2.Key=Owner&Tag.2.Value=' +
        '&DryRun=true&MaxResults=5',
    );
    expect(q.str('Action')).to.equal('DescribeInstances');
    expect(q.filters()).to.deep.equal([
      { name: 'tag:Role', values: ['web*', 'db?'] },
      { name: 'instance-state-name', values: ['running'] },
    ]);
    expect(q.list('InstanceId')).to.deep.equal(['i-a', 'i-b', 'i-c']);
    expect(q.tagSpecifications('instance')).to.deep.equal([{ key: 'Name', value: 'node-1' }]);
    // A Tag.N.Value that is present but empty differs from an absent one (DeleteTags semantics).
    expect(q.tags()).to.deep.equal([{ key: 'Env', value: undefined }, { key: 'Owner', value: '' }]);
    expect(q.bool('DryRun')).to.equal(true);
    expect(q.int('MaxResults')).to.equal(5);
    expect(q.sub('Filter.2').str('Name')).to.equal('instance-state-name');
  });

  it('escapes XML and renders EC2 documents (items for lists, omitted undefined, ISO dates)', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).to.equal('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('a\u0001b\rc')).to.equal('ab&#13;c');
    const xml = renderEc2Document('TestResponse', 'req-1', {
      list: ['a', 'b'],
      empty: [],
      nested: { when: new Date(Date.UTC(2026, 0, 1)), flag: false, missing: undefined },
      blank: '',
    });
    expect(xml).to.equal(
      '<?xml version="1.0" encoding="UTF-8"?>\n<TestResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' +
        '<requestId>req-1</requestId><list><item>a</item><item>b</item></list><empty/>' +
        '<nested><when>2026-01-01T00:00:00.000Z</when><flag>false</flag></nested><blank/></TestResponse>',
    );
  });

  it('reads the region from the SigV4 credential scope', () => {
    expect(regionFromAuthorization(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=abc',
    )).to.equal('eu-west-1');
    expect(regionFromAuthorization(undefined)).to.equal(undefined);
    expect(regionFromAuthorization('Basic xyz')).to.equal(undefined);
  });
});
