/**
 * Public sharing: `publish <record-id> [--mature] [--relay URL]`, `unpublish <record-id>`,
 * `gallery [search TEXT] [--relay URL]`, `gallery import <gallery-id> [--relay URL]`, `gallery age-gate on|off`. The relay is the one sync
 * uses unless --relay names another.
 */
import type { Command } from 'commander';
import { publishNotice } from '../../../../shared/gallery/notice.std.ts';
import { MindstageError } from '../../../../shared/result.std.ts';
import type { CliContext } from '../context.node.ts';

const day = (at: number) => new Date(at).toISOString().slice(0, 10);

export function registerGalleryCommands(program: Command, ctx: CliContext): void {
  program
    .command('publish <record-id>')
    .description('publish a character or scenario (with its portrait and lorebook) to the relay\'s public gallery')
    .option('--mature', 'mark it 18+: hidden from people whose age gate is not set')
    .option('--relay <url>', 'the relay whose gallery to use (default: the sync relay)')
    .action((recordId: string, o: { mature?: boolean; relay?: string }) =>
      ctx.withCore(async (call) => {
        const entry = (await call('records.list', {})).find((e) => e.id === recordId);
        if (entry && (entry.kind === 'character' || entry.kind === 'scenario') && !ctx.out().json) {
          // Said before anything is sent.
          const relay = o.relay ? new URL(o.relay).host : ((await call('sync.status', {})).relayUrl ?? '').replace(/^wss?:\/\//, '');
          process.stderr.write(`${publishNotice({ name: entry.title, kind: entry.kind, mature: o.mature === true, relay: relay || 'the relay' }).join('\n')}\n`);
        }
        const p = await call('gallery.publish', { recordId, mature: o.mature === true, ...(o.relay ? { relayUrl: o.relay } : {}) });
        ctx.out().result(p, `Published on ${p.relay} as ${p.galleryId}${p.mature ? ' (18+)' : ''}.`);
      }),
    );

  program
    .command('unpublish <record-id>')
    .description('remove a published character or scenario from the relay\'s gallery (copies others made stay theirs)')
    .action((recordId: string) =>
      ctx.withCore(async (call) => {
        const r = await call('gallery.unpublish', { recordId });
        ctx.out().result(r, `Removed ${r.galleryId} from ${r.relay}.`);
      }),
    );

  program
    .command('gallery [words...]')
    .description('browse the relay\'s public gallery: "gallery", "gallery search TEXT", "gallery import GALLERY-ID", "gallery age-gate on|off" (show 18+)')
    .option('--relay <url>', 'the relay whose gallery to use (default: the sync relay)')
    .action((words: string[], o: { relay?: string }) =>
      ctx.withCore(async (call) => {
        const relay = o.relay ? { relayUrl: o.relay } : {};
        const [verb, ...rest] = words;
        if (verb === 'import') {
          if (rest.length !== 1) throw new MindstageError('usage', 'Name one gallery id: mindstage gallery import GALLERY-ID.');
          const r = await call('gallery.import', { galleryId: rest[0]!, ...relay });
          ctx.out().result(r, `Imported ${r.kind} “${r.name}” as ${r.id}.`);
          return;
        }
        if (verb === 'age-gate') {
          const v = rest[0];
          if (rest.length !== 1 || (v !== 'on' && v !== 'off')) throw new MindstageError('usage', 'Say "gallery age-gate on" (you are 18 or older: show 18+ entries) or "gallery age-gate off".');
          const prefs = await call('settings.update', { showMature: v === 'on' });
          ctx.out().result({ showMature: prefs.showMature === true }, v === 'on' ? '18+ entries are shown.' : '18+ entries are hidden.');
          return;
        }
        if (verb !== undefined && verb !== 'search') throw new MindstageError('usage', `Unknown gallery action "${verb}": use "gallery", "gallery search TEXT", "gallery import GALLERY-ID" or "gallery age-gate on|off".`);
        if (verb === 'search' && rest.length === 0) throw new MindstageError('usage', 'Say what to search for: mindstage gallery search TEXT.');
        const text = rest.join(' ');
        const list = await call('gallery.list', { ...(text ? { text } : {}), ...relay });
        ctx.out().result(list, [
          ...(list.items.length === 0 ? [`Nothing${text ? ` matches “${text}”` : ''} in the gallery of ${list.relay}.`] : []),
          ...list.items.map((e) => `${e.id}  ${e.name}${e.mature ? ' (18+)' : ''}${e.creator ? ` by ${e.creator}` : ''} — ${day(e.updatedAt)}${e.tags.length ? ` [${e.tags.join(', ')}]` : ''}`),
          ...(list.more ? ['More entries: narrow the search.'] : []),
          ...(list.matureHidden ? ['18+ entries are hidden (the age gate is off).'] : []),
        ]);
      }),
    );
}
