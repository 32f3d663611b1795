/**
 * The lnd methods the engine calls over LNC, each with its gRPC path, its request and
 * response schemas and whether it answers once or streams. Built from the service
 * descriptors generated from lnd's .proto files (`./lnd/`), which `npm run proto` prunes
 * to these methods (the list is in scripts/proto.mjs).
 */
import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { Invoices } from './lnd/invoices_pb.ts';
import { Lightning } from './lnd/lightning_pb.ts';
import { Router } from './lnd/router_pb.ts';

/** How a method answers: one reply (`unary`), or a stream of replies (`server_streaming`). */
export type LndMethodKind = 'unary' | 'server_streaming';

/** One lnd method: what to send, where, and what comes back. */
export interface LndMethod<
  Input extends DescMessage = DescMessage,
  Output extends DescMessage = DescMessage,
  Kind extends LndMethodKind = LndMethodKind,
> {
  /** The gRPC path, the HTTP/2 `:path` of the call: `/lnrpc.Lightning/GetInfo`. */
  readonly path: string;
  /** Whether the method replies once or streams replies. */
  readonly kind: Kind;
  /** The request's schema. */
  readonly input: Input;
  /** The schema of the reply, or of each streamed message. */
  readonly output: Output;
  /** The method's full descriptor (service, options), for anything the fields above leave out. */
  readonly descriptor: DescMethod;
}

/** The plain object a method's request is made from (see `encodeLnd`). */
export type LndRequest<M extends LndMethod> = MessageInitShape<M['input']>;
/** The decoded reply of a method (each message of the stream, for a streaming one). */
export type LndReply<M extends LndMethod> = MessageShape<M['output']>;

type MethodsOf<S extends GenServiceMethods> = {
  readonly [K in keyof S]: LndMethod<S[K]['input'], S[K]['output'], Extract<S[K]['methodKind'], LndMethodKind>>;
};

function methodsOf<S extends GenServiceMethods>(service: GenService<S>): MethodsOf<S> {
  const table: Record<string, LndMethod> = {};
  for (const descriptor of service.methods) {
    const kind = descriptor.methodKind;
    // lnd has client-streaming and bidirectional methods too; the LNC client carries neither.
    if (kind !== 'unary' && kind !== 'server_streaming') throw new Error(`${service.typeName}.${descriptor.name} is ${kind}`);
    const path = `/${service.typeName}/${descriptor.name}`;
    table[descriptor.localName] = Object.freeze({ path, kind, input: descriptor.input, output: descriptor.output, descriptor });
  }
  return Object.freeze(table) as MethodsOf<S>;
}

/**
 * The lnd methods the engine uses, by their camel-case name: lnrpc.Lightning's `getInfo`,
 * `listChannels`, `describeGraph`, `listPayments`, `listInvoices`, `addInvoice`,
 * `lookupInvoice`, `decodePayReq`, `queryRoutes`; routerrpc.Router's `sendToRouteV2`,
 * `trackPaymentV2` (streaming); invoicesrpc.Invoices' `subscribeSingleInvoice` (streaming),
 * `addHoldInvoice`, `settleInvoice`, `cancelInvoice`, `lookupInvoiceV2`.
 *
 * @example
 * const m = lndMethods.getInfo;
 * m.path; // '/lnrpc.Lightning/GetInfo'
 * const body = encodeLnd(m.input, {});
 * const info: LndReply<typeof m> = decodeLnd(m.output, replyBytes, m.path);
 */
export const lndMethods = Object.freeze({ ...methodsOf(Lightning), ...methodsOf(Router), ...methodsOf(Invoices) });

/** The name of one of {@link lndMethods}. */
export type LndMethodName = keyof typeof lndMethods;
