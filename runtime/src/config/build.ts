// Nodes under construction, shared by both loaders: a loader fills a Draft as it reads settings, then
// finishNode applies the model's defaults and reports required settings that are missing.
import type { Diagnostics } from './diagnostics.ts';
import type { SourcePos } from './model.ts';

type Settings<T> = Exclude<keyof T, 'at' | 'fieldAt'>;

export type Draft<T> = { -readonly [K in Settings<T>]?: T[K] } & {
  at: SourcePos;
  fieldAt: { [K in Settings<T>]?: SourcePos };
};

export function newDraft<T>(at: SourcePos): Draft<T> {
  return { at, fieldAt: {} } as Draft<T>;
}

/** Records one setting and where it was written. */
export function setField<T, K extends Settings<T>>(draft: Draft<T>, key: K, value: T[K], at: SourcePos): void {
  (draft as Record<Settings<T>, unknown>)[key] = value;
  draft.fieldAt[key] = at;
}

/**
 * The finished node. A missing required setting is reported (at the node, named as the loader's
 * format spells it) and the node is still returned, so that cross-checks still see it; such a
 * configuration never leaves the loader, because the error makes it throw.
 */
export function finishNode<T>(
  draft: Draft<T>,
  defaults: Partial<T>,
  required: readonly Settings<T>[],
  describe: { node: string; setting: (key: string) => string },
  diagnostics: Diagnostics,
): T {
  for (const key of required) {
    if ((draft as Record<Settings<T>, unknown>)[key] === undefined) {
      diagnostics.error(draft.at, `${describe.node} has no ${describe.setting(String(key))}`);
    }
  }
  return { ...defaults, ...draft } as T;
}
