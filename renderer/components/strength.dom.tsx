/**
 * Passphrase strength from zxcvbn-ts. Its dictionaries are large, so they load on first use (a separate chunk),
 * keeping start-up fast for people who already have a vault.
 */
import { useEffect, useState } from 'react';

export interface Strength {
  score: 0 | 1 | 2 | 3 | 4;
  warning: string;
  suggestions: string[];
}

type Checker = (pw: string) => Strength;
let checker: Promise<Checker> | null = null;

function loadChecker(): Promise<Checker> {
  checker ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en')]).then(
    ([core, common, en]) => {
      const z = new core.ZxcvbnFactory({
        dictionary: { ...common.dictionary, ...en.dictionary },
        graphs: common.adjacencyGraphs,
        translations: en.translations,
      });
      return (pw: string) => {
        const r = z.check(pw);
        return { score: r.score, warning: r.feedback.warning ?? '', suggestions: r.feedback.suggestions };
      };
    },
  );
  return checker;
}

export const MIN_SCORE = 3;

/**
 * The strength of exactly this passphrase, for a submit: the meter's value may still be for what was there a
 * keystroke (or a paste) ago, and judging by it showed "Very strong" beside "Choose a stronger passphrase".
 */
export async function strengthOf(pw: string): Promise<Strength> {
  return (await loadChecker())(pw.slice(0, 256));
}
const labels = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'];

export function useStrength(pw: string): Strength | null {
  const [s, setS] = useState<Strength | null>(null);
  useEffect(() => {
    let live = true;
    if (pw === '') {
      setS(null);
      return;
    }
    void loadChecker().then((check) => live && setS(check(pw.slice(0, 256))));
    return () => {
      live = false;
    };
  }, [pw]);
  return s;
}

export function StrengthMeter({ strength }: { strength: Strength | null }) {
  if (!strength) return <div className="strength muted">Use four or more unrelated words, or a long sentence only you know.</div>;
  return (
    <div className="strength" aria-live="polite">
      <meter min={0} max={4} low={2} high={3} optimum={4} value={strength.score} aria-label="Passphrase strength" />
      <span className={`strength-label s${strength.score}`}>{labels[strength.score]}</span>
      {strength.warning ? <div className="hint">{strength.warning}</div> : null}
      {strength.score < MIN_SCORE && strength.suggestions.length ? <div className="hint">{strength.suggestions.join(' ')}</div> : null}
    </div>
  );
}
