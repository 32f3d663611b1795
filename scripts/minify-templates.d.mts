/** The static text of css`` and html`` templates in `code`, minified. */
export function minifyTemplates(code: string): string;
/** The rollup plugin: for the elements' own sources only. */
export function minifyTemplatesPlugin(): { name: string; transform(code: string, id: string): { code: string; map: null } | null };
