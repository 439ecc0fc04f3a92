// Keyset paging for the application views: the sidecars answer a page and the cursor of the next one;
// the cursors of the pages already seen are kept so Previous needs no other request shape.
import React from 'react';

import type { Page } from '../api/sidecar-shapes';
import { useLoadable } from './components';
import type { Loadable } from './components';

/** A paged list: the current page's state and the moves between pages. */
export interface CursorPages<T> {
  page: Loadable<Page<T>>;
  /** 0 for the first page. */
  index: number;
  next(): void;
  previous(): void;
  reload(): void;
}

/**
 * Loads one page at a time with `load(cursor)`; `key` names the filters, and a new key starts again at
 * the first page.
 */
export function useCursorPages<T>(load: (cursor: string | undefined) => Promise<Page<T>>, key: string): CursorPages<T> {
  // cursors[i] is the cursor that loads page i (undefined for the first).
  const [state, setState] = React.useState<{ key: string; cursors: Array<string | undefined> }>({
    key,
    cursors: [undefined],
  });
  const cursors = state.key === key ? state.cursors : [undefined];
  const index = cursors.length - 1;
  const cursor = cursors[index];
  const [page, reload] = useLoadable(() => load(cursor), `${key}\u0000${cursor ?? ''}`);
  return {
    page,
    index,
    next: () => {
      if (page.state === 'loaded' && page.value.next) setState({ key, cursors: [...cursors, page.value.next] });
    },
    previous: () => {
      if (index > 0) setState({ key, cursors: cursors.slice(0, -1) });
    },
    reload,
  };
}

/** Props of PageNav. */
export interface PageNavProps {
  label: string;
  pages: CursorPages<unknown>;
}

/** Previous / page number / Next, shown once there is more than one page. */
export function PageNav(props: PageNavProps) {
  const { pages } = props;
  const hasNext = pages.page.state === 'loaded' && pages.page.value.next !== null;
  if (pages.index === 0 && !hasNext) return null;
  return (
    <nav className="isd-paging" aria-label={props.label}>
      <button type="button" className="btn btn-sm btn-default" disabled={pages.index === 0} onClick={pages.previous}>
        Previous
      </button>{' '}
      <span>Page {pages.index + 1}</span>{' '}
      <button type="button" className="btn btn-sm btn-default" disabled={!hasNext} onClick={pages.next}>
        Next
      </button>
    </nav>
  );
}
