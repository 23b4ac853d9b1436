import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { renderErrorsDoc } from '../../scripts/errors-doc.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { REPO_ROOT } from '../helpers/pty-driver.js';

describe('docs', () => {
  it('docs/errors.md lists every error code (regenerate: npx tsx scripts/errors-doc.ts --write)', () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/errors.md'), 'utf8');
    expect(doc).to.equal(renderErrorsDoc());
    for (const code of Object.values(ErrorCodes)) expect(doc).to.include(`\`${code}\``);
  });
});
