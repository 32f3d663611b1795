/**
 * The elements' build step that minifies lit's template text (scripts/minify-templates.mjs):
 * CSS loses comments and white space but keeps the spaces values need; HTML loses indentation
 * but keeps its line breaks; `${…}` expressions, nested templates, strings and code outside
 * templates come through byte for byte; and every elements source still parses after it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { transform } from 'esbuild';
import { minifyTemplates } from '../../scripts/minify-templates.mjs';

test('css: comments and white space go, the spaces inside values stay', () => {
  const source = 'const s = css`\n  /* a note */\n  .a,\n  .b > .c {\n    border: 1px solid\n      var(--x);\n    color: red;\n  }\n`;';
  assert.equal(minifyTemplates(source), 'const s = css`.a,.b>.c{border:1px solid var(--x);color:red}`;');
});

test('html: indentation goes, line breaks and expressions stay, nested templates too', () => {
  const source = [
    'const v = html`<p>',
    '    ${cond ? html`<b>',
    '        ${"a `b` c"}</b>` : \'x\'}',
    '  </p>`;',
    'const keep = `plain   text`; // a comment with css` in it',
  ].join('\n');
  assert.equal(
    minifyTemplates(source),
    [
      'const v = html`<p>',
      '${cond ? html`<b>',
      '${"a `b` c"}</b>` : \'x\'}',
      '</p>`;',
      'const keep = `plain   text`; // a comment with css` in it',
    ].join('\n'),
  );
});

test('every elements source still parses once minified, with as many lines or fewer', async () => {
  const dir = new URL('../../packages/elements/src/', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(new URL(file, dir), 'utf8');
    const out = minifyTemplates(source);
    await transform(out, { loader: 'ts' });
    assert.ok(out.split('\n').length <= source.split('\n').length, file);
    assert.ok(out.length <= source.length, file);
  }
});
