// The HTTP hand-off: a uwsgi packet that is an HTTP request (modifier1 0, as nginx's
// uwsgi_pass sends, or 173 with modifier2 2..4) takes the connection's reads over for its
// body, goes through routes and bridges, and leaves its raw HTTP answer in the queue.
import type { Socket } from 'node:net';
import type { Codec } from '../codec/codec.js';
import { MODIFIER2 } from '../codec/constants.js';
import { type Bridge, needsBody } from '../dispatch/bridge.js';
import { BodyReader } from './body-reader.js';
import type { HttpService } from './http-service.js';
import { showError } from './log.js';
import type { Sender } from './sender.js';

/**
 * Answers the HTTP request whose vars dict is `vars`, by the bridge of its modifier2 (0:
 * routes only). As in uWSGI it is the connection's last request: the answer goes out after
 * those queued before it, then the connection ends. `rest` holds the bytes read past the
 * packet: the start of the body the bridges 3 and 4 read from the stream.
 */
export function handOffHttp(
  socket: Socket,
  sender: Sender,
  service: Promise<HttpService>,
  codec: Codec,
  vars: Uint8Array,
  bridge: Bridge,
  rest: Uint8Array,
): void {
  const slot = sender.expect(MODIFIER2.RAW);
  let reader: BodyReader | null = null;
  if (needsBody(bridge)) {
    reader = new BodyReader(socket, rest);
  } else {
    // What follows (a body no one reads) is dropped until the peer closes.
    socket.removeAllListeners('data');
    socket.on('data', () => {});
  }
  if (socket.isPaused()) socket.resume();
  service
    .then((s) => s.answerPacket(codec, vars, bridge, (n) => reader!.read(n, s.bodyTimeout)))
    .then(
      (answer) => {
        if (answer !== null && answer.length > 0) sender.settle(slot, answer, null);
        else
          sender.settle(
            slot,
            null,
            answer === null
              ? 'malformed HTTP request: the packet is not a vars dict'
              : 'the HTTP request got no answer',
          );
      },
      (err) => sender.settle(slot, null, `HTTP request failed: ${showError(err)}`),
    );
}
