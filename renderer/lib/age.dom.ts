/** The age check of onboarding: Mindstage is for adults. Local dates, so a birthday counts from local midnight. */

/** Full years between a birthdate (YYYY-MM-DD) and today; null when the date is not a real past date. */
export function ageOn(birthdate: string, today: Date): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthdate);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const born = new Date(y, mo - 1, d);
  if (born.getFullYear() !== y || born.getMonth() !== mo - 1 || born.getDate() !== d || born > today) return null;
  let age = today.getFullYear() - y;
  if (today.getMonth() < mo - 1 || (today.getMonth() === mo - 1 && today.getDate() < d)) age--;
  return age;
}
