/**
 * Sending the outbox, oldest first and one at a time: the relay treats a device sequence number at or below the
 * highest it stored as a replay, so an item must never be overtaken by a later one that could be stored while it
 * is refused (rate limit, quota). An item leaves the outbox only once the relay acknowledged it (durably stored).
 */
import { RelayError, type RelayConnection } from '../../../shared/sync/client.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { decodeOutboxItem } from './outbox.node.ts';
import type { Replica } from './replica.node.ts';

export async function uploadOutbox(r: Replica, conn: RelayConnection): Promise<number> {
  let sent = 0;
  for (;;) {
    const rows = r.store.outbox(500);
    if (rows.length === 0) return sent;
    for (const row of rows) {
      const it = decodeOutboxItem(row.frame);
      try {
        if (it.kind === 'update') await conn.upload({ docId: it.docId, deviceSeq: it.deviceSeq, body: it.body! });
        else if (it.kind === 'snapshot') await conn.snapshot({ docId: it.docId, deviceSeq: it.deviceSeq, body: it.body!, covers: it.covers });
        else await conn.tombstone({ docId: it.docId, deviceSeq: it.deviceSeq });
        sent++;
      } catch (e) {
        if (!(e instanceof RelayError)) throw e;
        switch (e.relayCode) {
          case 'replay': // stored earlier (our acknowledgement was lost), then pruned by a snapshot that contains it
          case 'deleted': // the record was deleted on another device; its tombstone comes with the next pull
            break;
          case 'too_large':
          case 'bad_frame':
            r.problem({ code: 'integrity', message: `An update (device #${it.deviceSeq}) was too large for the relay and was dropped from the outbox; the data stays on this device and is included in its next snapshot.` });
            break;
          case 'conflict':
            throw new MindstageError('integrity', `The relay holds a different item under this device's number ${it.deviceSeq}. Sync stopped; nothing was overwritten.`);
          default:
            throw e;
        }
      }
      r.store.deleteOutbox(row.seq);
    }
  }
}
