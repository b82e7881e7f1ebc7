/**
 * Baseline server for the relay benchmarks: a plain `ws` broadcast server with nothing else — no framing, no
 * authentication, no signatures, no storage. A client joins the room named by the URL path; every binary message
 * is forwarded unchanged to the room's other clients, and the sender gets a 1-byte acknowledgement (as the relay
 * acknowledges each upload). Run as its own process; prints `listening ws://…`.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const rooms = new Map<string, Set<WebSocket>>();
const ack = Buffer.from([0]); // version byte 0: never a relay frame, so clients tell them apart
const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const name = (req.url ?? '/').split('?')[0]!;
  const room = rooms.get(name) ?? new Set<WebSocket>();
  rooms.set(name, room);
  room.add(ws);
  ws.on('message', (data, isBinary) => {
    for (const peer of room) if (peer !== ws) peer.send(data, { binary: isBinary });
    ws.send(ack);
  });
  ws.on('close', () => {
    room.delete(ws);
    if (room.size === 0) rooms.delete(name);
  });
  ws.on('error', () => ws.terminate());
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`listening ws://127.0.0.1:${port}`);
});
const stop = () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
