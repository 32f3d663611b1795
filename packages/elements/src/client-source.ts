/**
 * Where an element gets its client, in this order: its `client` property; the
 * `<ampkit-connect>` its `connection` attribute names (by id); or a client of its own,
 * made with `createAmpkit` from its `node-id`, `url`, `rune` (and `worker-url`)
 * attributes, and closed when the element leaves the page or the settings change.
 */
import { createAmpkit } from '@ampkit/worker';
import type { ReactiveController, ReactiveElement } from 'lit';
import type { RuneAudit } from '@ampkit/wire';
import type { ClientFactory, ElementsClient } from './client.ts';

/** What a rune allows (its audit's chunk loaded on first use); undefined for a string that is not one. @internal */
export async function auditLater(rune: string): Promise<RuneAudit | undefined> {
  const { auditRune } = await import('./rune-audit.ts');
  try {
    return auditRune(rune);
  } catch {
    return undefined;
  }
}

/** The properties an element that takes a client has. @internal */
export interface ClientHost extends ReactiveElement {
  client?: ElementsClient | undefined;
  connection?: string | undefined;
  nodeId?: string | undefined;
  url?: string | undefined;
  rune?: string | undefined;
  workerUrl?: string | undefined;
  clientFactory?: ClientFactory | undefined;
}

/** Why an element has no client. */
export type NoClient = { kind: 'none' } | { kind: 'connecting' } | { kind: 'failed'; message: string };

/** The default factory: the worker package's `createAmpkit`. @internal */
export const defaultFactory: ClientFactory = createAmpkit;

/** Resolves and follows an element's client. @internal */
export class ClientSource implements ReactiveController {
  /** The client in use, if any. */
  client: ElementsClient | undefined;
  /** Why there is none, when there is none. */
  missing: NoClient = { kind: 'none' };
  /** Counts changes of `client` or `missing`: a host compares it to know when to start again. */
  version = 0;
  private key: unknown[] | undefined;
  private own: Promise<ElementsClient | undefined> | undefined;
  private generation = 0;
  private stopListening: (() => void) | undefined;
  private stopState: (() => void) | undefined;
  private runeOf: (() => Promise<RuneAudit | undefined>) | undefined;

  constructor(private readonly host: ClientHost) {
    host.addController(this);
  }

  hostConnected(): void {
    this.host.requestUpdate();
  }

  hostDisconnected(): void {
    this.release();
    this.key = undefined;
  }

  /**
   * What the rune of the client in use allows: its own rune, or that of the `<ampkit-connect>`
   * it follows; undefined for a client without one (given as a property, or over LNC).
   */
  audit(): Promise<RuneAudit | undefined> {
    return this.runeOf?.() ?? Promise.resolve(undefined);
  }

  /** Call from the host's `willUpdate`: follows any change of the client settings. */
  sync(): void {
    const h = this.host;
    const key = [h.client, h.connection, h.nodeId, h.url, h.rune, h.workerUrl, h.clientFactory];
    if (this.key && key.every((value, i) => value === this.key![i])) return;
    this.release();
    this.key = key;
    if (h.client) return this.use(h.client);
    if (h.connection) return this.follow(h.connection);
    if (h.nodeId || h.url || h.rune) return this.make();
    this.use(undefined);
  }

  private use(client: ElementsClient | undefined, missing: NoClient = { kind: 'none' }): void {
    this.stopState?.();
    this.stopState = undefined;
    this.client = client;
    this.missing = client ? { kind: 'none' } : missing;
    this.version++;
    // A client closed elsewhere (its <ampkit-connect> left the page) is no client.
    this.stopState = client?.on('state', (state) => {
      if (state !== 'closed' || this.client !== client) return;
      this.use(undefined);
      this.host.requestUpdate();
    });
  }

  /** Takes the client of the `<ampkit-connect id=…>`, now and whenever it (re)connects. */
  private follow(id: string): void {
    const root = this.host.getRootNode() as Document | ShadowRoot;
    const element = (root.getElementById?.(id) ?? globalThis.document?.getElementById(id)) as {
      client?: ElementsClient;
      mode?: string;
      auditReady?(): Promise<RuneAudit | undefined>;
    } | null;
    this.use(element?.client);
    this.runeOf = () => (element?.mode !== 'lnc' && element?.auditReady ? element.auditReady() : Promise.resolve(undefined));
    const doc = globalThis.document;
    if (!doc) return;
    const origin = (event: Event) => (event.composedPath()[0] as Element | undefined)?.id === id;
    const connected = (event: Event) => {
      if (!origin(event)) return;
      this.use((event as CustomEvent<{ client: ElementsClient }>).detail.client);
      this.host.requestUpdate();
    };
    const disconnected = (event: Event) => {
      if (!origin(event)) return;
      this.use(undefined);
      this.host.requestUpdate();
    };
    doc.addEventListener('ampkit-connected', connected);
    doc.addEventListener('ampkit-disconnected', disconnected);
    this.stopListening = () => {
      doc.removeEventListener('ampkit-connected', connected);
      doc.removeEventListener('ampkit-disconnected', disconnected);
    };
  }

  /** Makes a client of its own from the connection attributes. */
  private make(): void {
    const { nodeId = '', url = '', rune = '', workerUrl, clientFactory = defaultFactory } = this.host;
    const generation = ++this.generation;
    this.runeOf = () => auditLater(rune);
    this.use(undefined, { kind: 'connecting' });
    const made = (async () => {
      try {
        return await clientFactory({ nodeId, url, rune, ...(workerUrl ? { worker: workerUrl } : {}) });
      } catch (error) {
        if (generation === this.generation) {
          this.use(undefined, { kind: 'failed', message: (error as Error)?.message ?? String(error) });
          this.host.requestUpdate();
        }
        return undefined;
      }
    })();
    this.own = made;
    void made.then((client) => {
      if (!client) return;
      if (generation !== this.generation) return void client.close().catch(() => undefined);
      this.use(client);
      this.host.requestUpdate();
    });
  }

  /** Stops following a connect element and closes a client of our own. */
  private release(): void {
    this.generation++;
    this.runeOf = undefined;
    this.stopListening?.();
    this.stopListening = undefined;
    const own = this.own;
    this.own = undefined;
    void own?.then((client) => client?.close()).catch(() => undefined);
    this.use(undefined);
  }
}
