import { describe, expect, it } from 'vitest';
import { problemText } from './sync-problem.dom.ts';

const id = '0123456789abcdef0123456789abcdef';
const device = 'a1b2c3d4e5f6'.repeat(5) + 'a1b2';

describe('problemText', () => {
  const refused = {
    code: 'integrity' as const,
    message: `Refused an item for record ${id} from device ${device.slice(0, 12)} (relay #12): its signature does not verify. It was not applied; your data is unchanged.`,
    recordId: id,
    serverSeq: 12,
    reason: 'its signature does not verify',
    deviceId: device,
  };

  it('tells a refused item with the title and the device name, and no id', () => {
    const text = problemText({ ...refused, deviceName: "Bram's tablet" }, new Map([[id, 'Seraphina']]));
    expect(text).toBe("Refused a change to “Seraphina” from Bram's tablet: its signature does not verify. It was not applied; your data is unchanged.");
    expect(text).not.toMatch(/[0-9a-f]{8}|#12/);
  });

  it('says "another device" and "a change" when neither is known', () => {
    const text = problemText(refused, new Map());
    expect(text).toBe('Refused a change from another device: its signature does not verify. It was not applied; your data is unchanged.');
  });

  it('shows other problems as the core words them', () => {
    expect(problemText({ code: 'integrity', message: 'An update was too large for the relay.' }, new Map())).toBe('An update was too large for the relay.');
  });
});
