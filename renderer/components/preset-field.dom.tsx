/**
 * The preset picker shared by a chat's settings and a provider's form: it loads the vault's presets itself, so both
 * list the same ones in the same order. With no preset in the vault it renders nothing unless `always` is set (a
 * chat has nothing to choose then; a provider's form keeps its layout).
 */
import { useEffect, useId, useState } from 'react';
import type { PresetView } from '../../shared/api/presets.std.ts';
import { call } from '../lib/api.dom.ts';

interface Props {
  label: string;
  /** What the empty choice means where the picker sits ("Provider's default", "None …"). */
  noneLabel: string;
  value: string;
  onChange(value: string): void;
  className?: string;
  always?: boolean;
}

export function PresetField({ label, noneLabel, value, onChange, className = 'field', always = false }: Props) {
  const id = useId();
  const [presets, setPresets] = useState<PresetView[]>([]);
  useEffect(() => {
    void call('preset.list', {}).then(setPresets, () => setPresets([]));
  }, []);
  if (presets.length === 0 && !always) return null;
  return (
    <div className={className}>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{noneLabel}</option>
        {presets.map((p) => (
          <option key={p.name} value={p.name}>
            {p.name}
          </option>
        ))}
      </select>
    </div>
  );
}
