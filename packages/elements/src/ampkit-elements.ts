/**
 * The page bundle's entry (dist/ampkit-elements.js): registers the elements and exports the
 * public API. The client comes from ./ampkit.js beside it, loaded once.
 *
 * @example
 * ```html
 * <script type="module" src="https://cdn.example/ampkit/ampkit-elements.js"></script>
 * <ampkit-pay connection="wallet" invoice="lnbc…"></ampkit-pay>
 * ```
 */
import './define.ts';

export * from './index.ts';
