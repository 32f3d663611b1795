/**
 * The repository is self-contained (docs/design.md, "Boundaries"): no tracked source, test,
 * config, script or document refers to a path outside it. Every tracked text file is read
 * (fixture data under test/fixtures aside, but its README.md read) and these are offences:
 *
 * - the names of the team's notes and shared folders that live beside the repository;
 * - absolute paths of a machine: a written path under the file system's work, home, root or
 *   tmp folder (a temporary folder made with `os.tmpdir()` is fine);
 * - relative paths (in strings, `new URL(…, import.meta.url)`, markdown links, or the
 *   literal segments of a `join(…)`/`resolve(…)`) that resolve above the repository root
 *   from the file's own folder (from the root for `join(root, …)`).
 *
 * One exemption, as narrow as it can be: `.ci/run` may hand the real-node tests binaries
 * from the shared real-node folder beside the repository, and only that.
 *
 * The patterns are built from pieces so that this file does not match itself.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
  .replace(/\\/g, '/')
  .replace(/\/$/, '');

const DOT2 = '.' + '.';
const UP = DOT2 + '/';
const SHARED = 'shared';
const REALNODE = `${SHARED}/realnode`;

/** Strings that name things beside the repository, never in it. */
const NAMES = [UP + SHARED, `${SHARED}/reference`, REALNODE, 'DESIGN' + '.md', 'STYLE' + '.md'];

/** Absolute paths of a particular machine, as written in a file (not `os.tmpdir()`). */
const MACHINE_PATH = new RegExp(String.raw`(?:(?<![\w.~$/-])|file://)/(?:work|home|root|tmp)/`, 'g');

/**
 * A path token with a `..` segment: optional leading segments, `..`, optional trailing
 * segments (template holes and globs allowed), not part of a longer word or of a URL.
 */
const DOTS_TOKEN = new RegExp(String.raw`(?<![\w.\-/@$}~\\])((?:[\w\-@][\w.\-@]*/)*\.\.(?:/[\w.\-@*{}$]*)*)(?![\w.\-])`, 'g');

/** `join(` / `resolve(` calls (node:path's, or `path.`/`posix.` ones). */
const JOIN_CALL = /\b(?:path\.|posix\.)?(?:join|resolve)\(/g;

/** A first argument of `join(…)` that names the repository root. */
const ROOT_NAME = /^(?:root|ROOT|repo\w*|REPO\w*|process\.cwd\(\))$/;

/** `.ci/run`'s one allowed reference: the shared real-node folder, or a path inside it. */
const REALNODE_REF = new RegExp(String.raw`^(?:\.\./)?${SHARED}/realnode(/[^\s"'\x60)]*)?(?![\w.-])`);

/** Files that are not text, or are data rather than source. */
const SKIP_EXT = /\.(?:gz|zst|tgz|tar|zip|png|jpe?g|gif|webp|ico|bmp|woff2?|ttf|otf|eot|wasm|pdf|mp4|webm|sqlite|db|log)$/i;

/**
 * The one exemption: `.ci/run` may point at the shared real-node folder beside the
 * repository. `at` is the text from the offending match to the end of its line.
 */
function exempt(file: string, at: string): boolean {
  if (file !== '.ci/run') return false;
  const m = REALNODE_REF.exec(at);
  return m !== null && !(m[1] ?? '').includes(DOT2);
}

/** True when `path` (absolute, posix) is outside the repository. */
function outside(path: string): boolean {
  const normal = posix.normalize(path);
  return normal !== ROOT && !normal.startsWith(ROOT + '/');
}

/** The part of a path token before any template hole or glob: what can be resolved. */
function staticPart(token: string): string {
  const cut = token.search(/[$*{]/);
  return cut < 0 ? token : token.slice(0, cut);
}

/** The top-level arguments of a call whose `(` is just before `from`, on one line; undefined if it does not close there. */
function callArguments(line: string, from: number): string[] | undefined {
  const args: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = from;
  for (let i = from; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) {
        args.push(line.slice(start, i).trim());
        return args;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      args.push(line.slice(start, i).trim());
      start = i + 1;
    }
  }
  return undefined;
}

/** The value of a plain string literal argument, or undefined. */
function literal(arg: string): string | undefined {
  const m = /^(['"`])(.*)\1$/.exec(arg);
  if (!m || (m[1] === '`' && m[2]!.includes('${'))) return undefined;
  return m[2]!;
}

/** Offences in one file's text, as `file:line: text`. `file` is relative to the root, with `/`. */
function scanText(file: string, text: string): string[] {
  const offences: string[] = [];
  const folder = posix.dirname(`${ROOT}/${file}`);
  text.split(/\r?\n/).forEach((line, i) => {
    const hits: string[] = [];
    for (const name of NAMES) {
      for (let at = line.indexOf(name); at >= 0; at = line.indexOf(name, at + 1)) {
        if (!exempt(file, line.slice(at))) hits.push(name);
      }
    }
    for (const m of line.matchAll(MACHINE_PATH)) {
      if (!exempt(file, line.slice(m.index!))) hits.push(m[0]);
    }
    for (const m of line.matchAll(DOTS_TOKEN)) {
      const token = m[1]!;
      // A bare `..` counts only as a whole quoted string: elsewhere it is prose.
      if (!token.includes('/')) {
        const before = line[m.index! - 1];
        if (!(before && `'"\``.includes(before) && line[m.index! + token.length] === before)) continue;
      }
      if (outside(posix.join(folder, staticPart(token))) && !exempt(file, line.slice(m.index!))) hits.push(token);
    }
    for (const m of line.matchAll(JOIN_CALL)) {
      const args = callArguments(line, m.index! + m[0].length);
      if (!args || args.length < 2) continue;
      const [first, ...rest] = args;
      const firstLiteral = literal(first!);
      let path = firstLiteral !== undefined ? posix.join(folder, firstLiteral) : ROOT_NAME.test(first!) ? ROOT : folder;
      const segments: string[] = [];
      for (const arg of rest) {
        const value = literal(arg);
        if (value === undefined) break;
        segments.push(value);
        path = posix.join(path, value);
      }
      if (segments.some((s) => s.split('/').includes(DOT2)) && outside(path) && !exempt(file, line.slice(m.index!)))
        hits.push(`${m[0]}${args.join(', ')})`);
    }
    if (hits.length > 0) offences.push(`${file}:${i + 1}: ${line.trim().slice(0, 200)}`);
  });
  return offences;
}

/** Whether a file is scanned: text that is source, test, config, script or document. */
function scanned(file: string): boolean {
  if (SKIP_EXT.test(file)) return false;
  // Fixture data is kept as captured (with its provenance in test/fixtures/README.md).
  if (file.startsWith('test/fixtures/') && file !== 'test/fixtures/README.md') return false;
  return true;
}

/** The repository's files: git's tracked ones, or (no git) a walk that skips what git would ignore. */
function repositoryFiles(): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const files = out.split('\0').filter(Boolean);
    if (files.length > 0) return files;
  } catch {
    // No git, or not a clone: walk the tree instead.
  }
  return walk();
}

function walk(): string[] {
  const skipDirs = new Set(['node_modules', 'dist', '.git']);
  const skipFiles: RegExp[] = [];
  // The simple entries of .gitignore: folder and file names, and `*.ext` patterns.
  if (existsSync(`${ROOT}/.gitignore`)) {
    for (const raw of readFileSync(`${ROOT}/.gitignore`, 'utf8').split('\n')) {
      const entry = raw.trim().replace(/^\//, '').replace(/\/$/, '');
      if (!entry || entry.startsWith('#') || entry.startsWith('!')) continue;
      if (/^\*\.[\w.]+$/.test(entry)) skipFiles.push(new RegExp(`${entry.slice(1).replace(/\./g, '\\.')}$`));
      else if (!/[*?[]/.test(entry) && !entry.includes('/')) skipDirs.add(entry);
    }
  }
  const files: string[] = [];
  const visit = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (skipDirs.has(entry.name)) continue;
      const rel = prefix + entry.name;
      if (entry.isDirectory()) visit(`${dir}/${entry.name}`, `${rel}/`);
      else if (entry.isFile() && !skipFiles.some((re) => re.test(entry.name))) files.push(rel);
    }
  };
  visit(ROOT, '');
  return files.sort();
}

/** Every offence in the repository. */
function scanRepository(): { offences: string[]; files: number } {
  const offences: string[] = [];
  let files = 0;
  for (const file of repositoryFiles()) {
    if (!scanned(file)) continue;
    const full = `${ROOT}/${file}`;
    // A tracked file deleted in the working tree is not there to refer anywhere.
    if (!existsSync(full) || !statSync(full).isFile()) continue;
    const bytes = readFileSync(full);
    if (bytes.subarray(0, 8000).includes(0)) continue;
    files++;
    offences.push(...scanText(file, bytes.toString('utf8')));
  }
  return { offences, files };
}

describe('the repository refers to nothing outside it', () => {
  test('no tracked file names a place beside the repository, a machine path, or a path above the root', () => {
    const { offences, files } = scanRepository();
    assert.ok(files > 50, `only ${files} files were scanned: the file list is wrong`);
    if (offences.length > 0) assert.fail(`${offences.length} reference(s) outside the repository:\n${offences.join('\n')}`);
  });

  test('the scan finds each kind of offence, reported as file:line: text', () => {
    const up3 = UP.repeat(3);
    const cases: [file: string, text: string, offending: boolean][] = [
      ['test/core/x.test.ts', `const p = '${UP}${SHARED}/reference/bolt8.txt';`, true],
      ['packages/core/src/x.ts', `// see ${'DESIGN' + '.md'}, "Trust"`, true],
      ['README.md', `How we write: ${'STYLE' + '.md'}.`, true],
      ['scripts/x.mjs', `const bin = '${REALNODE}/lightningd';`, true],
      ['scripts/x.mjs', `const dir = '/${'tmp'}/ampkit';`, true],
      ['scripts/x.mjs', `const url = 'file:///${'home'}/me/x';`, true],
      ['test/x.ts', `const f = '/${'work'}/main/test';`, true],
      ['test/core/x.test.ts', `readFileSync(new URL('${up3}outside.json', import.meta.url));`, true],
      ['test/core/x.test.ts', `new URL(\`${up3}x/\${name}\`, import.meta.url)`, true],
      ['docs/x.md', `See [the notes](${UP}${UP}notes.md).`, true],
      ['rollup.config.mjs', `const up = '${DOT2}';`, true],
      ['scripts/x.mjs', `const p = join(root, '${DOT2}', 'elsewhere');`, true],
      ['scripts/x.mjs', `const p = join(here, '${DOT2}', '${DOT2}', 'x');`, true],
      // Not offences.
      ['test/core/x.test.ts', `readFileSync(new URL('${UP}fixtures/cln/x.json', import.meta.url));`, false],
      ['test/bench/fixtures/x.ts', `import { a } from '${up3}packages/worker/src/index.ts';`, false],
      ['demo/serve.ts', `const root = fileURLToPath(new URL('${DOT2}', import.meta.url));`, false],
      ['scripts/x.mjs', `const p = join(root, 'packages', '${DOT2}', 'docs');`, false],
      ['test/x.ts', `const dir = mkdtempSync(join(tmpdir(), 'ampkit-'));`, false],
      ['test/x.ts', `const rest = [...parts]; const s = 'a...b';`, false],
      ['README.md', `Open https://example.com/${'home'}/ or docs/design.md.`, false],
      ['packages/x/src/y.ts', `// the parts (1, 2, ..) in order`, false],
    ];
    for (const [file, text, offending] of cases) {
      const found = scanText(file, `first line\n${text}\n`);
      if (offending) assert.deepEqual(found, [`${file}:2: ${text.trim()}`], `${file}: ${text}`);
      else assert.deepEqual(found, [], `${file}: ${text}`);
    }
  });

  test('the one exemption is .ci/run pointing at the shared real-node folder, and nothing else', () => {
    const tarball = `TARBALL="${UP}${REALNODE}/realnode-bin.tar.zst"`;
    const readme = `# runtime libraries (${REALNODE}/README.md)`;
    assert.deepEqual(scanText('.ci/run', `${tarball}\n${readme}\ncd "$(dirname "$0")/${DOT2}"\n`), []);
    // Anything else in .ci/run is an offence, as is the same line in any other file.
    assert.deepEqual(scanText('.ci/run', `REF="${UP}${SHARED}/reference/x"\n`), [`.ci/run:1: REF="${UP}${SHARED}/reference/x"`]);
    assert.deepEqual(scanText('.ci/run', `cd /${'work'}/main\n`), [`.ci/run:1: cd /${'work'}/main`]);
    const escape = `X="${UP}${REALNODE}/${UP}${UP}${UP}etc"`;
    assert.deepEqual(scanText('.ci/run', `${escape}\n`), [`.ci/run:1: ${escape}`]);
    const lookalike = `X="${UP}${REALNODE}-copy/x"`;
    assert.deepEqual(scanText('.ci/run', `${lookalike}\n`), [`.ci/run:1: ${lookalike}`]);
    assert.deepEqual(scanText('.ci/run2', `${tarball}\n`), [`.ci/run2:1: ${tarball}`]);
    assert.deepEqual(scanText('scripts/ci.sh', `${tarball}\n`), [`scripts/ci.sh:1: ${tarball}`]);
  });

  test('fixture data is not read, but its provenance is', () => {
    assert.equal(scanned('test/fixtures/cln/rune-errors.json'), false);
    assert.equal(scanned('test/fixtures/reference/cln-fixtures/README.md'), false);
    assert.equal(scanned('test/fixtures/README.md'), true);
    assert.equal(scanned('packages/simnet/data/mainnet-2026-02-03.listnodes.json.gz'), false);
    assert.equal(scanned('packages/simnet/data/README.md'), true);
    assert.equal(scanned('test/bench/fixtures/ampkit-page.ts'), true);
  });
});
