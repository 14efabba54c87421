// A local webhook receiver for tests: records every delivery (id, signature check, body), can be
// down (its port closed) and can answer 500 to a delivery after reading it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from '@tubefeed/core';

export interface ReceivedDelivery {
  readonly id: string;
  readonly header: string;
  readonly body: string;
  readonly valid: boolean;
}

/** A local webhook receiver that can be down (port closed) and can answer 500 to a delivery it read. */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  /** Delivery ids to answer 500 the first time they arrive (after reading and recording them). */
  readonly failOnce = new Set<string>();
  private server: Server | null = null;
  port = 0;

  constructor(private readonly secret: string) {}

  async up(): Promise<void> {
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  ids(): Set<string> {
    return new Set(this.received.map((r) => r.id));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const header = String(request.headers[SIGNATURE_HEADER] ?? '');
    const id = String(request.headers[DELIVERY_HEADER] ?? '');
    this.received.push({ id, header, body, valid: verifyWebhookSignature(this.secret, body, header, Math.floor(Date.now() / 1000)) });
    if (this.failOnce.delete(id)) {
      response.statusCode = 500;
      response.end('try later');
      return;
    }
    response.statusCode = 204;
    response.end();
  }
}
