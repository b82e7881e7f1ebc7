/**
 * The window's size, position and maximized state, remembered in a small JSON file in userData. Layout only,
 * never content. A damaged file, or bounds from a monitor that is gone, fall back to a sensible default.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { minWindowSize, type WindowBounds } from './security.main.ts';

export interface WindowState {
  bounds: WindowBounds;
  maximized: boolean;
}

export interface Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const defaultSize = { width: 1200, height: 800 };

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Whether at least a grabbable part (the title bar region) of the window lies on one of the displays. */
function visibleOn(bounds: Required<WindowBounds>, areas: Area[]): boolean {
  return areas.some(
    (a) => bounds.x + bounds.width - 80 > a.x && bounds.x + 80 < a.x + a.width && bounds.y >= a.y - 10 && bounds.y + 40 < a.y + a.height,
  );
}

/** Reads untrusted JSON into a usable state for the current displays (their work areas). */
export function sanitizeWindowState(raw: unknown, areas: Area[]): WindowState {
  const primary = areas[0] ?? { x: 0, y: 0, width: defaultSize.width, height: defaultSize.height };
  const fallback: WindowState = {
    bounds: { width: Math.min(defaultSize.width, primary.width), height: Math.min(defaultSize.height, primary.height) },
    maximized: false,
  };
  if (typeof raw !== 'object' || raw === null) return fallback;
  const r = raw as { bounds?: Record<string, unknown>; maximized?: unknown };
  const b = r.bounds;
  if (!b || !finite(b['width']) || !finite(b['height'])) return fallback;
  const width = Math.round(Math.max(minWindowSize.width, Math.min(b['width'], 16384)));
  const height = Math.round(Math.max(minWindowSize.height, Math.min(b['height'], 16384)));
  const maximized = r.maximized === true;
  if (finite(b['x']) && finite(b['y'])) {
    const bounds = { x: Math.round(b['x']), y: Math.round(b['y']), width, height };
    if (visibleOn(bounds, areas)) return { bounds, maximized };
  }
  // Position lost (or off every screen): keep the size, let the window manager centre it.
  return { bounds: { width: Math.min(width, primary.width), height: Math.min(height, primary.height) }, maximized };
}

export function loadWindowState(file: string, areas: Area[]): WindowState {
  let raw: unknown = null;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // Missing or damaged: start from the default.
  }
  return sanitizeWindowState(raw, areas);
}

/** Writes atomically (temp file + rename) so a crash never leaves half a file. */
export function saveWindowState(file: string, state: WindowState): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ bounds: state.bounds, maximized: state.maximized }), { mode: 0o600 });
  renameSync(tmp, file);
}
