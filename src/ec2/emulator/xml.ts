/**
 * A tiny XML writer for EC2 Query responses. EC2 (unlike awsQuery) wraps list entries in `<item>`,
 * uses lowerCamel element names and has no `<…Result>` wrapper; this writer encodes exactly that:
 * objects become child elements (in insertion order), arrays become `<item>` lists, Dates become
 * ISO 8601, `undefined` fields are left out (the SDK then leaves the field absent).
 */

export type XmlValue = string | number | boolean | Date | undefined | null | XmlObject | readonly XmlValue[];
export interface XmlObject {
  readonly [element: string]: XmlValue;
}

/** The EC2 API namespace (API version 2016-11-15, the only one the SDK speaks). */
export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

// XML 1.0 cannot carry most C0 control characters, even escaped; drop them rather than emit a document the SDK rejects.
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for element content or attribute values. `\r` is kept as a character reference so it survives parsing. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
}

function scalarText(value: string | number | boolean | Date): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

function writeElement(name: string, value: XmlValue, out: string[]): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push(`<${name}/>`);
      return;
    }
    out.push(`<${name}>`);
    for (const item of value as readonly XmlValue[]) {
      if (item === undefined || item === null) continue;
      writeElement('item', item, out);
    }
    out.push(`</${name}>`);
    return;
  }
  if (typeof value === 'object' && !(value instanceof Date)) {
    const children: string[] = [];
    writeChildren(value as XmlObject, children);
    out.push(children.length === 0 ? `<${name}/>` : `<${name}>${children.join('')}</${name}>`);
    return;
  }
  const text = scalarText(value as string | number | boolean | Date);
  out.push(text === '' ? `<${name}/>` : `<${name}>${escapeXml(text)}</${name}>`);
}

function writeChildren(obj: XmlObject, out: string[]): void {
  for (const [key, child] of Object.entries(obj)) writeElement(key, child, out);
}

/** Renders `<{root} xmlns="…/2016-11-15/"><requestId>…</requestId>…body…</{root}>` with an XML declaration. */
export function renderEc2Document(root: string, requestId: string, body: XmlObject): string {
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<${root} xmlns="${EC2_XMLNS}">`,
    `<requestId>${escapeXml(requestId)}</requestId>`,
  ];
  writeChildren(body, out);
  out.push(`</${root}>`);
  return out.join('');
}

/**
 * The EC2 error document. Root `<Response>` and `<RequestID>` in capitals are EC2-specific
 * (awsQuery uses `<ErrorResponse>`); the SDK reads `Errors.Error.Code/Message` from it.
 */
export function renderEc2ErrorDocument(code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors>` +
    `<RequestID>${escapeXml(requestId)}</RequestID></Response>`
  );
}
