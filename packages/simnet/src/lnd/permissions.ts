/**
 * A session's macaroon permissions, as lnd checks them before a handler runs (docs/lnd.md §1;
 * lnd `macaroons/service.go` `ValidateMacaroon`): a call passes when the macaroon holds every
 * `entity:action` the method needs, or the method's own URI permission (`uri:<path>`, what
 * `lncli bakemacaroon uri:…` and Lightning Terminal's custom sessions grant); otherwise it ends
 * with code 2 UNKNOWN and the text `permission denied`, which does not name what is missing.
 * What it does not model: macaroon caveats (timeouts, IP locks) and litd's own session types
 * beyond the permissions they stand for.
 */
import { TestGrpcStatus, type TestHandler } from '../lnc/endpoint.ts';

/** The permission each served method needs (lnd's `MainRPCServerPermissions()` and the sub-servers' `macPermissions`). */
export const LND_METHOD_PERMISSIONS: Readonly<Record<string, string>> = {
  '/lnrpc.Lightning/GetInfo': 'info:read',
  '/lnrpc.Lightning/ListChannels': 'offchain:read',
  '/lnrpc.Lightning/DescribeGraph': 'info:read',
  '/lnrpc.Lightning/QueryRoutes': 'info:read',
  '/lnrpc.Lightning/ListPayments': 'offchain:read',
  '/lnrpc.Lightning/AddInvoice': 'invoices:write',
  '/lnrpc.Lightning/LookupInvoice': 'invoices:read',
  '/lnrpc.Lightning/ListInvoices': 'invoices:read',
  '/routerrpc.Router/SendToRouteV2': 'offchain:write',
  '/routerrpc.Router/TrackPaymentV2': 'offchain:read',
  '/invoicesrpc.Invoices/SubscribeSingleInvoice': 'invoices:read',
  '/invoicesrpc.Invoices/AddHoldInvoice': 'invoices:write',
  '/invoicesrpc.Invoices/SettleInvoice': 'invoices:write',
  '/invoicesrpc.Invoices/CancelInvoice': 'invoices:write',
};

/** One permission as lnd writes it: `entity:action` (`invoices:write`) or `uri:/package.Service/Method`. */
const PERMISSION = /^(?:[a-z]+:(?:read|write|generate)|uri:\/[\w.]+\/\w+)$/;

/**
 * Wraps an LND node's handlers so each call needs the permission lnd would ask of it;
 * `permissions` undefined leaves them as they are (an admin session).
 *
 * @example
 * ```ts
 * // A shop's page: make and follow plain invoices, nothing else (no hold invoices, no spending).
 * restrictHandlers(lnd.handlers(), ['info:read', 'uri:/lnrpc.Lightning/AddInvoice', 'invoices:read']);
 * ```
 */
export function restrictHandlers(
  handlers: Record<string, TestHandler>,
  permissions: readonly string[] | undefined,
): Record<string, TestHandler> {
  if (permissions === undefined) return handlers;
  for (const p of permissions) {
    if (typeof p !== 'string' || !PERMISSION.test(p))
      throw new TypeError(`bad lnd permission ${JSON.stringify(p)}: entity:action or uri:/pkg.Service/Method`);
  }
  const held = new Set(permissions);
  const allowed = (path: string) => held.has(`uri:${path}`) || held.has(LND_METHOD_PERMISSIONS[path] ?? '\0');
  return Object.fromEntries(
    Object.entries(handlers).map(([path, handler]): [string, TestHandler] => [
      path,
      (request, call) => {
        if (!allowed(path)) throw new TestGrpcStatus(2, 'permission denied');
        return handler(request, call);
      },
    ]),
  );
}
