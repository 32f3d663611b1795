// A rollup plugin for the elements' bundle: the static text of lit's css`` and html``
// templates loses what neither CSS nor HTML reads, which the JS minifiers leave alone.
// - css``: comments, line breaks, indentation, and spaces around { } ; , > and after :. The
//   templates stand at the end of their files, so the lines the source map loses are their own.
// - html``: indentation after a line break (HTML collapses white space, so the page renders
//   alike; no template here has <pre> or white-space: pre). Its line breaks stay, so the
//   code around keeps its lines in the source map.
// Only the static parts change: `${…}` expressions (nested templates included) are copied as
// they are, found by a scanner that follows strings, comments and braces.

/** Scans `source` from `i` (just past a template's opening backtick); calls `onText` on each static part. Returns the index past the closing backtick. */
function template(source, i, out, onText) {
  let text = '';
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') {
      text += c + source[i + 1];
      i += 2;
    } else if (c === '`') {
      out.push(onText(text), '`');
      return i + 1;
    } else if (c === '$' && source[i + 1] === '{') {
      out.push(onText(text), '${');
      text = '';
      i = expression(source, i + 2, out);
    } else {
      text += c;
      i++;
    }
  }
  throw new Error('minify-templates: unterminated template');
}

/** Copies a JS expression up to its closing brace (nested templates handled); returns the index past it. */
function expression(source, i, out) {
  let depth = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '}' && depth === 0) {
      out.push('}');
      return i + 1;
    }
    i = token(source, i, out, () => (c === '{' ? depth++ : c === '}' ? depth-- : 0));
  }
  throw new Error('minify-templates: unterminated expression');
}

const TAGGED = /(?:^|[^\w$.])(css|html)$/;

/** Copies one token at `i` (a string, a comment, a template, or a character); returns the next index. */
function token(source, i, out, onChar) {
  const c = source[i];
  if (c === "'" || c === '"') {
    let j = i + 1;
    while (source[j] !== c) j += source[j] === '\\' ? 2 : 1;
    out.push(source.slice(i, j + 1));
    return j + 1;
  }
  if (c === '/' && source[i + 1] === '/') {
    const j = source.indexOf('\n', i);
    const end = j < 0 ? source.length : j;
    out.push(source.slice(i, end));
    return end;
  }
  if (c === '/' && source[i + 1] === '*') {
    const j = source.indexOf('*/', i + 2) + 2;
    out.push(source.slice(i, j));
    return j;
  }
  if (c === '`') {
    const before = out.slice(-6).join('');
    const tag = TAGGED.exec(before)?.[1];
    out.push('`');
    return template(source, i + 1, out, tag === 'css' ? minifyCss : tag === 'html' ? minifyHtml : (t) => t);
  }
  onChar();
  out.push(c);
  return i + 1;
}

function minifyCss(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{};,>])\s*/g, '$1')
    .replace(/:\s+/g, ':')
    .replace(/;}/g, '}')
    .trim();
}

function minifyHtml(text) {
  return text.replace(/\n[ \t]+/g, '\n');
}

/** The static text of css`` and html`` templates in `code`, minified. */
export function minifyTemplates(code) {
  const out = [];
  for (let i = 0; i < code.length;) i = token(code, i, out, () => undefined);
  return out.join('');
}

/** The plugin: for the elements' own sources only. */
export const minifyTemplatesPlugin = () => ({
  name: 'minify-templates',
  transform(code, id) {
    if (!/[\\/]packages[\\/]elements[\\/]src[\\/].*\.ts$/.test(id)) return null;
    return { code: minifyTemplates(code), map: null };
  },
});
