import type { MemberRecord } from '../../store/store.js';
import { clear, formatNum, formatValue, h } from './dom.js';

/**
 * The population table, best score first, in a scroll box that holds only the rows in view
 * (plus a few either side) between two spacer rows: 1,000 members as 10,000 table cells cost
 * the browser ~0.3 s of layout for a box that shows 15 rows. Rows have one fixed height (CSS:
 * one line, ellipsis), so the scroll position alone says which rows are in view. An update
 * redraws the rows in place and keeps the scroll position.
 */

/** Row height in px; style.css gives `#population tbody tr` the same. */
const ROW_HEIGHT = 30;
/** The scroll box's height in px; style.css gives `#population .scroll` the same. */
const BOX_HEIGHT = 480;
const OVERSCAN = 10;

export class PopulationTable {
  readonly element: HTMLElement;
  private readonly box: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly head = h('thead');
  private readonly body = h('tbody');
  private members: readonly MemberRecord[] = [];
  private names: readonly string[] = [];
  private selected: number | null = null;
  /** The first and last row drawn, to redraw only when the scroll reaches past them. */
  private drawn: [number, number] = [0, -1];
  private drawPending = false;
  /** The box's scroll position, kept across a redraw of the whole page (which detaches it). */
  private scrollTop = 0;

  constructor(private readonly onSelect: (memberId: number) => void) {
    this.table = h('table', { class: 'grid' }, this.head, this.body);
    this.box = h('div', { class: 'scroll' }, this.table);
    this.element = h('section', { id: 'population' }, h('h2', {}, 'Population'), this.box);
    this.box.addEventListener('scroll', () => {
      this.scrollTop = this.box.scrollTop;
      if (this.drawPending) return;
      this.drawPending = true;
      requestAnimationFrame(() => {
        this.drawPending = false;
        if (this.needsRows()) this.drawRows();
      });
    });
    // One listener for every row, drawn or not yet.
    this.body.addEventListener('click', (e) => {
      const row = (e.target as Element).closest('tr[data-member]');
      const id = row?.getAttribute('data-member');
      if (id !== null && id !== undefined) this.onSelect(Number(id));
    });
  }

  update(members: readonly MemberRecord[], selected: number | null): void {
    // Every member's hyperparameters, including those of members without a result yet.
    const names = [...new Set(members.flatMap((m) => Object.keys(m.hparams)))].sort();
    if (names.join('\u0000') !== this.names.join('\u0000') || this.head.childElementCount === 0) {
      clear(this.head);
      this.head.append(
        h(
          'tr',
          {},
          ...['member', 'status', 'step', 'score', ...names, 'lease owner', 'failures'].map((t) =>
            h('th', { title: t }, t),
          ),
        ),
      );
    }
    this.names = names;
    this.members = [...members].sort(
      (a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity) || a.id - b.id,
    );
    this.selected = selected;
    this.table.setAttribute('aria-rowcount', String(this.members.length + 1));
    this.drawRows();
  }

  /** After the page was drawn again: back to where the box was scrolled. */
  restoreScroll(): void {
    if (this.box.scrollTop === this.scrollTop) return;
    this.box.scrollTop = this.scrollTop;
    this.drawRows();
  }

  /** The rows in view, from the box's scroll position (no layout read but scrollTop). */
  private window(): [number, number] {
    const top = this.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(
      this.members.length - 1,
      Math.ceil((top + BOX_HEIGHT) / ROW_HEIGHT) + OVERSCAN,
    );
    return [first, last];
  }

  private needsRows(): boolean {
    const [first, last] = this.window();
    const [from, to] = this.drawn;
    return (first < from && from > 0) || (last > to && to < this.members.length - 1);
  }

  private drawRows(): void {
    const [first, last] = this.window();
    this.drawn = [first, last];
    const columns = this.names.length + 6;
    const spacer = (rows: number): HTMLElement | null =>
      rows > 0
        ? h(
            'tr',
            { class: 'spacer', 'aria-hidden': 'true', style: `height:${rows * ROW_HEIGHT}px` },
            h('td', { colspan: columns }),
          )
        : null;
    const rows: HTMLElement[] = [];
    for (let i = first; i <= last; i++) {
      const m = this.members[i];
      if (m !== undefined) rows.push(this.row(m, i));
    }
    clear(this.body);
    for (const el of [spacer(first), ...rows, spacer(this.members.length - 1 - last)])
      if (el !== null) this.body.append(el);
  }

  private row(m: MemberRecord, index: number): HTMLElement {
    const failures =
      m.consecutiveFailures > 0 || m.failureReason !== null
        ? `${m.consecutiveFailures}${m.failureReason !== null ? ` · ${m.failureReason}` : ''}`
        : '0';
    return h(
      'tr',
      {
        'data-member': m.id,
        'aria-rowindex': index + 2,
        class: m.id === this.selected ? 'selected' : undefined,
      },
      h('td', {}, `m${m.id}`),
      h('td', {}, h('span', { class: `badge ${m.status}` }, m.status)),
      h('td', { class: 'num' }, m.step),
      h('td', { class: 'num' }, formatNum(m.score)),
      ...this.names.map((n) => h('td', { class: 'num' }, formatValue(m.hparams[n]))),
      h('td', { class: 'small' }, m.leaseOwner ?? '—'),
      h('td', { class: 'num', title: m.failureReason ?? '' }, failures),
    );
  }
}
