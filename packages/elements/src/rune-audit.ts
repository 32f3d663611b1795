/**
 * The rune audit, alone: `<ampkit-connect>` imports this module dynamically, so the rune
 * code (base64url, the restriction parser, the audit's tables) is a chunk of its own,
 * fetched once a rune is entered, and holds nothing else of @ampkit/wire. @internal
 */
export { auditRune } from '@ampkit/wire';
