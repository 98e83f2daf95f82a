import 'uplot/dist/uPlot.min.css';
import './style.css';
import { scheduleOf, type Schedule } from '../../core/schedule.js';
import type { ReportModel } from '../../report/report-model.js';
import {
  fromSnapshot,
  fromUpdate,
  type ExperimentListRow,
  type ExperimentSnapshot,
  type ExperimentUpdate,
} from '../wire.js';
import { lineChart, toCurves, updateLineChart, type LiveChart, type Marker } from './charts.js';
import { clear, formatNum, formatTime, formatValue, h } from './dom.js';
import { PopulationTable } from './population-table.js';
import { ExperimentState } from './state.js';
import { exploitTip, lineageTree, type LineageTreeView } from './tree.js';

/**
 * The dashboard page. Live (served by `pbt dashboard`): an experiment list and, under
 * #/experiment/<id>, one experiment fed by server-sent events. As a report: the experiment
 * inlined in #pbt-data, drawn the same way, no network.
 */

const app = document.getElementById('app') as HTMLElement;
const tip = h('div', { class: 'tip', hidden: '' });
document.body.append(tip);

function showTip(content: HTMLElement, x: number, y: number): void {
  clear(tip);
  tip.append(content);
  tip.hidden = false;
  const w = tip.offsetWidth;
  tip.style.left = `${Math.min(x + 14, window.innerWidth - w - 8)}px`;
  tip.style.top = `${y + 14}px`;
}
const hideTip = (): void => {
  tip.hidden = true;
};

let closeStream: (() => void) | null = null;

function route(): void {
  closeStream?.();
  closeStream = null;
  const m = /^#\/experiment\/(.+)$/.exec(location.hash);
  if (m?.[1] !== undefined) showExperimentLive(decodeURIComponent(m[1]));
  else showList();
}

// ---------- experiment list ----------

function showList(): void {
  clear(app);
  const body = h('tbody');
  const status = h('span', { class: 'live' }, 'connecting…');
  app.append(
    h(
      'header',
      {},
      h('h1', {}, 'pbt dashboard'),
      h('p', { class: 'muted' }, 'Experiments in this store, newest first. ', status),
    ),
    h(
      'section',
      { id: 'experiments' },
      h(
        'table',
        { class: 'grid' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...[
              'experiment',
              'status',
              'task',
              'method',
              'group',
              'members',
              'progress',
              'best score',
              'created',
            ].map((t) => h('th', {}, t)),
          ),
        ),
        body,
      ),
    ),
  );
  const source = new EventSource('api/experiments/stream');
  closeStream = () => source.close();
  source.addEventListener('list', (ev) => {
    const rows = JSON.parse((ev as MessageEvent<string>).data) as ExperimentListRow[];
    status.textContent = `live · ${rows.length} experiment${rows.length === 1 ? '' : 's'} · updated ${new Date().toLocaleTimeString()}`;
    clear(body);
    if (rows.length === 0)
      body.append(
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: 9, class: 'muted' },
            'No experiments yet: start one with pbt run toy.',
          ),
        ),
      );
    for (const r of rows) body.append(listRow(r));
  });
  source.addEventListener('failure', (ev) => {
    status.textContent = `store error: ${(JSON.parse((ev as MessageEvent<string>).data) as { error: string }).error}`;
  });
  source.onerror = () => {
    status.textContent = 'disconnected; retrying…';
  };
}

function listRow(r: ExperimentListRow): HTMLElement {
  const pct = r.progress === null ? null : Math.round(Math.min(1, r.progress) * 100);
  return h(
    'tr',
    { 'data-experiment': r.id },
    h(
      'td',
      {},
      h('a', { href: `#/experiment/${encodeURIComponent(r.id)}` }, r.name ?? r.id),
      r.name !== null ? h('div', { class: 'muted small' }, r.id) : null,
    ),
    h('td', {}, h('span', { class: `badge ${r.status}` }, r.status)),
    h('td', {}, r.task),
    h('td', {}, r.method),
    h('td', {}, r.group ?? '—'),
    h('td', { class: 'num' }, r.populationSize),
    h(
      'td',
      {},
      pct === null
        ? '—'
        : h(
            'div',
            { class: 'bar', title: `${r.stepsDone} steps` },
            h('div', { style: `width:${pct}%` }),
            h('span', {}, `${pct}%`),
          ),
    ),
    h(
      'td',
      { class: 'num' },
      r.bestScore === null ? '—' : `${formatNum(r.bestScore)} (m${r.bestMember ?? ''})`,
    ),
    h('td', { class: 'small' }, formatTime(r.createdAt)),
  );
}

// ---------- one experiment ----------

function showExperimentLive(id: string): void {
  clear(app);
  app.append(h('p', { class: 'loading' }, `Loading ${id}…`));
  const source = new EventSource(`api/experiments/${encodeURIComponent(id)}/stream`);
  closeStream = () => source.close();
  let view: ExperimentView | null = null;
  // Milliseconds since navigation (read by bench/dashboard.ts): stream opened, snapshot arrived,
  // (below) its first frame drawn.
  app.dataset.streamOpenedAt = performance.now().toFixed(0);
  source.addEventListener('snapshot', (ev) => {
    const t0 = performance.now();
    app.dataset.snapshotAt = t0.toFixed(0);
    const snapshot = JSON.parse((ev as MessageEvent<string>).data) as ExperimentSnapshot;
    const t1 = performance.now();
    const data = fromSnapshot(snapshot);
    // A second snapshot (after a reconnect the server could not resume) replaces the view.
    view = new ExperimentView(new ExperimentState(data), true);
    view.render();
    // Read by bench/dashboard.ts: parsing the event's JSON, and turning columns into records.
    app.dataset.parseMs = (t1 - t0).toFixed(1);
    app.dataset.decodeMs = (performance.now() - t1 - Number(app.dataset.renderMs)).toFixed(1);
    // And when the first frame showing it was laid out and painted: a task posted from the
    // next animation frame runs after that frame's style, layout and paint.
    requestAnimationFrame(() =>
      setTimeout(() => (app.dataset.drawnAt = performance.now().toFixed(0)), 0),
    );
  });
  source.addEventListener('update', (ev) => {
    if (view === null) return;
    const update = JSON.parse((ev as MessageEvent<string>).data) as ExperimentUpdate;
    view.state.apply(fromUpdate(update, view.state.experiment.id));
    view.scheduleRender();
  });
  source.addEventListener('failure', (ev) => {
    view?.setStatus(
      `store error: ${(JSON.parse((ev as MessageEvent<string>).data) as { error: string }).error}`,
    );
  });
  source.onerror = () => {
    if (view === null) {
      clear(app);
      app.append(
        h(
          'p',
          { class: 'loading' },
          `Cannot open experiment ${id}. `,
          h('a', { href: '#/' }, 'Back to the list'),
        ),
      );
      source.close();
    } else view.setStatus('disconnected; retrying…');
  };
}

/** The page's sections, kept so an update replaces only what changed. */
interface Parts {
  header: HTMLElement;
  cards: HTMLElement;
  scores: HTMLElement;
  lineage: HTMLElement;
  hparams: HTMLElement;
  schedule: HTMLElement;
  population: HTMLElement;
  comparison: HTMLElement;
}

/** Puts `next` where `prev` is and returns it. */
function swap(prev: HTMLElement, next: HTMLElement): HTMLElement {
  prev.replaceWith(next);
  return next;
}

class ExperimentView {
  selected: number | null = null;
  private pending = false;
  private lastRender = 0;
  private readonly liveLine = h('span', { class: 'live' });
  private parts: Parts | null = null;
  private scoreChart: { div: HTMLElement; live: LiveChart } | null = null;
  private readonly hparamCharts = new Map<string, { div: HTMLElement; live: LiveChart }>();
  private selectedPanel: HTMLElement | null = null;
  private tree: LineageTreeView | null = null;
  /** Kept across redraws: it holds its scroll position and draws only the rows in view. */
  private readonly populationTable = new PopulationTable((m) => this.select(m));
  /** The state's lineageVersion the tree was drawn from. */
  private drawnLineage = -1;

  constructor(
    readonly state: ExperimentState,
    private readonly live: boolean,
  ) {}

  setStatus(text: string): void {
    this.liveLine.textContent = text;
  }

  /** Redraws at most once a second (many results can arrive in a burst). */
  scheduleRender(): void {
    if (this.pending) return;
    this.pending = true;
    const wait = Math.max(0, 1000 - (performance.now() - this.lastRender));
    setTimeout(() => {
      this.pending = false;
      this.refresh();
    }, wait);
  }

  select(memberId: number): void {
    this.selected = this.selected === memberId ? null : memberId;
    this.render();
  }

  render(): void {
    this.lastRender = performance.now();
    // Time of each part (read by bench/dashboard.ts).
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const timed = <T>(name: string, f: () => T): T => {
      const out = f();
      const t = performance.now();
      timings[name] = Math.round(t - mark);
      mark = t;
      return out;
    };
    const model = timed('model', () => this.state.model());
    const scrollY = window.scrollY;
    // A selection made with the keyboard redraws the tree: the focus goes back to its row.
    const treeFocus = this.tree?.focused();
    hideTip();
    clear(app);
    const width = this.width();
    if (this.live) this.setStatus(`live · updated ${new Date().toLocaleTimeString()}`);
    const parts: Parts = {
      header: this.header(model),
      cards: this.cards(model),
      scores: timed('scores', () => this.scores(model, width)),
      lineage: timed('lineage', () => this.lineageSection(model, width)),
      hparams: timed('hparams', () => this.hparams(model, width)),
      schedule: timed('schedule', () => this.bestSchedule(model, width)),
      population: timed('population', () => this.population()),
      comparison: timed('comparison', () => this.comparison(model, width)),
    };
    this.parts = parts;
    app.append(
      parts.header,
      parts.cards,
      parts.scores,
      parts.lineage,
      parts.hparams,
      parts.schedule,
      parts.population,
      parts.comparison,
    );
    app.dataset.timings = JSON.stringify(timings);
    window.scrollTo(0, scrollY);
    this.populationTable.restoreScroll();
    if (treeFocus?.active === true && treeFocus.key !== null) this.tree?.focusRow(treeFocus.key);
    // How long the model and the drawing took (read by bench/dashboard.ts).
    app.dataset.renderMs = (performance.now() - this.lastRender).toFixed(1);
    app.dataset.results = String(this.state.results.length);
  }

  /**
   * After an update: the charts get the new points (setData), the lineage tree is drawn
   * again only when an exploit arrived, the small sections are rebuilt.
   */
  refresh(): void {
    const parts = this.parts;
    if (parts === null) {
      this.render();
      return;
    }
    this.lastRender = performance.now();
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const timed = (name: string, f: () => void): void => {
      f();
      const t = performance.now();
      timings[name] = Math.round(t - mark);
      mark = t;
    };
    const m = this.state.model();
    timed('model', () => undefined);
    const width = this.width();
    if (this.live) this.setStatus(`live · updated ${new Date().toLocaleTimeString()}`);
    parts.header = swap(parts.header, this.header(m));
    parts.cards = swap(parts.cards, this.cards(m));
    timed('scores', () => {
      const c = this.scoreChart;
      const markers = this.scoreMarkers();
      if (c === null || !updateLineChart(c.live, c.div, toCurves(m.scores), { markers }))
        parts.scores = swap(parts.scores, this.scores(m, width));
    });
    timed('lineage', () => {
      if (this.drawnLineage !== this.state.lineageVersion) {
        hideTip();
        const focus = this.tree?.focused();
        parts.lineage = swap(parts.lineage, this.lineageSection(m, width));
        if (focus?.active === true && focus.key !== null) this.tree?.focusRow(focus.key);
      } else if (this.selectedPanel !== null) {
        clear(this.selectedPanel);
        this.fillSelected(this.selectedPanel, m);
      }
    });
    timed('hparams', () => {
      const names = m.hparams.map((hp) => hp.name);
      const same =
        names.length === this.hparamCharts.size &&
        m.hparams.every((hp) => {
          const c = this.hparamCharts.get(hp.name);
          return c !== undefined && updateLineChart(c.live, c.div, toCurves(hp.series), hp);
        });
      if (!same) parts.hparams = swap(parts.hparams, this.hparams(m, width));
    });
    timed('schedule', () => (parts.schedule = swap(parts.schedule, this.bestSchedule(m, width))));
    timed('population', () => this.population());
    timed(
      'comparison',
      () => (parts.comparison = swap(parts.comparison, this.comparison(m, width))),
    );
    app.dataset.timings = JSON.stringify(timings);
    app.dataset.renderMs = (performance.now() - this.lastRender).toFixed(1);
    app.dataset.results = String(this.state.results.length);
  }

  /** The inner width of a section (page padding 2×24, section padding and border 2×21). */
  private width(): number {
    return Math.min(1220, document.documentElement.clientWidth) - 48 - 42;
  }

  /** Each exploit jump sits where the member resumed: its step, at the donor's score it copied. */
  private scoreMarkers(): Marker[] {
    // Only the donors' copied steps are looked up (numeric keys: 100,000 "member:step" strings
    // took ~0.1 s at 1,000 x 100).
    const copied = new Map<number, Map<number, number | null>>();
    for (const e of this.state.lineage) {
      const steps = copied.get(e.donor) ?? new Map<number, number | null>();
      steps.set(e.donorStep, null);
      copied.set(e.donor, steps);
    }
    for (const r of this.state.results) {
      const steps = copied.get(r.memberId);
      if (r.score !== null && steps?.has(r.step) === true) steps.set(r.step, r.score);
    }
    const markers: Marker[] = [];
    for (const e of this.state.lineage) {
      const y = copied.get(e.donor)?.get(e.donorStep);
      if (y !== undefined && y !== null) markers.push({ x: e.step, y });
    }
    return markers;
  }

  private header(model: ReportModel): HTMLElement {
    const s = model.summary;
    return h(
      'header',
      {},
      this.live ? h('a', { href: '#/', class: 'back' }, '← all experiments') : null,
      h(
        'h1',
        {},
        s.name ?? s.experimentId,
        ' ',
        h('span', { class: `badge ${s.status}`, id: 'status' }, s.status),
      ),
      h(
        'p',
        { class: 'muted' },
        `${s.experimentId} · task ${s.task} · ${s.method} · population ${s.populationSize}` +
          (s.budgetSteps !== null ? ` · ${s.budgetSteps} steps each` : '') +
          ' · ',
        this.live ? this.liveLine : `report generated ${formatTime(reportTime)}`,
      ),
    );
  }

  private cards(model: ReportModel): HTMLElement {
    const s = model.summary;
    const running = this.state.members.filter((m) => m.status === 'running').length;
    const card = (label: string, value: string, sub: string, id: string): HTMLElement =>
      h(
        'div',
        { class: 'card', id },
        h('div', { class: 'label' }, label),
        h('div', { class: 'value' }, value),
        h('div', { class: 'sub' }, sub),
      );
    return h(
      'div',
      { class: 'cards' },
      card(
        'Members',
        String(this.state.members.length),
        `${running} running · ${s.membersDone} done · ${s.failedMembers} failed`,
        'member-count',
      ),
      card(
        'Best score',
        formatNum(s.bestScore),
        s.bestMember !== null ? `member ${s.bestMember}` : 'no score yet',
        'best-score',
      ),
      card('Results', String(s.resultCount), `${s.failedResults} failed`, 'result-count'),
      card('Exploits', String(s.exploitCount), 'copies of a better member', 'exploit-count'),
      card(
        'Steps',
        String(s.totalSteps),
        s.budgetSteps !== null ? `of ${s.budgetSteps * s.populationSize}` : '',
        'step-count',
      ),
    );
  }

  private scores(model: ReportModel, width: number): HTMLElement {
    const div = h('div', { class: 'chart', id: 'score-chart' });
    const markers = this.scoreMarkers();
    const section = h(
      'section',
      { id: 'scores' },
      h('h2', {}, 'Scores'),
      h(
        'p',
        { class: 'note' },
        'Score of every member over its steps; ▲ marks an exploit (the member jumps to the donor it copied). Click a member in the lineage tree or the table to highlight it.',
      ),
      div,
    );
    const live = lineChart(div, toCurves(model.scores), {
      title: '',
      xLabel: 'step',
      yLabel: 'score',
      selected: this.selected,
      markers,
      width,
      height: 320,
    });
    this.scoreChart = { div, live };
    return section;
  }

  private lineageSection(model: ReportModel, width: number): HTMLElement {
    const treeWidth = Math.max(360, Math.round(width * 0.62));
    const panel = h('div', { class: 'side', id: 'selected-member' });
    this.fillSelected(panel, model);
    this.selectedPanel = panel;
    this.drawnLineage = this.state.lineageVersion;
    this.tree = lineageTree(model.lineage, this.selected, treeWidth, {
      onSelect: (m) => this.select(m),
      showTip,
      hideTip,
    });
    return h(
      'section',
      { id: 'lineage' },
      h('h2', {}, 'Lineage'),
      h(
        'p',
        { class: 'note' },
        'Each line is a stretch of training; a curve is an exploit (hover it: donor, step, old → new values, what explore did). Click a member to highlight its ancestry and show its schedule.',
      ),
      h('div', { class: 'split' }, this.tree.element, panel),
    );
  }

  private fillSelected(panel: HTMLElement, model: ReportModel): void {
    if (this.selected === null) {
      panel.append(
        h('h3', {}, 'No member selected'),
        h('p', { class: 'muted' }, 'Click a line in the tree or a row of the population table.'),
      );
      return;
    }
    const id = this.selected;
    const member = this.state.members.find((m) => m.id === id);
    const schedule = scheduleOf(id, this.state.results, this.state.lineage);
    panel.append(
      h(
        'h3',
        {},
        `Member ${id}`,
        ' ',
        h('button', { type: 'button', class: 'link', id: 'clear-selection' }, 'clear'),
      ),
      h(
        'p',
        { class: 'muted' },
        member ? `${member.status} · step ${member.step} · score ${formatNum(member.score)}` : '',
      ),
      h('h4', {}, `Schedule that produced its model (${schedule.modelSteps} model steps)`),
      scheduleTable(schedule, model.schedule?.paramNames ?? []),
    );
    const events = this.state.lineage.filter((e) => e.memberId === id);
    if (events.length > 0) {
      const list = h('ul', { class: 'events' });
      for (const e of events) {
        const edge = model.lineage.edges.find((x) => x.eventId === e.id);
        const li = h(
          'li',
          {},
          `step ${e.step}: copied m${e.donor} (step ${e.donorStep}); ${e.operations.join(', ') || 'no change'}`,
        );
        if (edge) {
          li.addEventListener('mousemove', (ev) =>
            showTip(exploitTip(edge), ev.clientX, ev.clientY),
          );
          li.addEventListener('mouseleave', hideTip);
        }
        list.append(li);
      }
      panel.append(h('h4', {}, 'Its exploits'), list);
    }
    panel.querySelector('#clear-selection')?.addEventListener('click', () => this.select(id));
  }

  private hparams(model: ReportModel, width: number): HTMLElement {
    const section = h(
      'section',
      { id: 'hyperparameters' },
      h('h2', {}, 'Hyperparameters'),
      h(
        'p',
        { class: 'note' },
        'Each hyperparameter over the steps of every member (held until explore changes it).',
      ),
    );
    if (model.hparams.length === 0)
      section.append(h('p', { class: 'muted' }, 'No hyperparameter varies yet.'));
    const grid = h('div', { class: 'small-multiples' });
    section.append(grid);
    const w = model.hparams.length > 1 ? Math.floor((width - 24) / 2) : width;
    this.hparamCharts.clear();
    for (const hp of model.hparams) {
      const div = h('div', { class: 'chart', 'data-param': hp.name });
      grid.append(div);
      const live = lineChart(div, toCurves(hp.series), {
        title: hp.name,
        xLabel: 'step',
        log: hp.log,
        stepped: true,
        categories: hp.categories,
        selected: this.selected,
        width: w,
        height: 220,
      });
      this.hparamCharts.set(hp.name, { div, live });
    }
    return section;
  }

  private bestSchedule(model: ReportModel, width: number): HTMLElement {
    const sv = model.schedule;
    if (sv === null) return h('div', { hidden: '' });
    const section = h(
      'section',
      { id: 'schedule' },
      h('h2', {}, `Schedule of the best model (member ${sv.schedule.memberId})`),
      h(
        'p',
        { class: 'note' },
        'The hyperparameters its weights were trained with, following exploits back through donors; x is model steps.',
      ),
    );
    const grid = h('div', { class: 'small-multiples' });
    const w = sv.series.length > 1 ? Math.floor((width - 24) / 2) : width;
    for (const series of sv.series) {
      const div = h('div', { class: 'chart' });
      grid.append(div);
      lineChart(
        div,
        [{ label: series.name, memberId: sv.schedule.memberId, points: series.points }],
        {
          title: series.name,
          xLabel: 'model step',
          log: series.log,
          stepped: true,
          width: w,
          height: 200,
        },
      );
    }
    section.append(grid, scheduleTable(sv.schedule, sv.paramNames));
    return section;
  }

  private population(): HTMLElement {
    this.populationTable.update(this.state.members, this.selected);
    return this.populationTable.element;
  }

  private comparison(model: ReportModel, width: number): HTMLElement {
    const c = model.comparison;
    if (c === null) return h('div', { hidden: '' });
    const div = h('div', { class: 'chart' });
    const section = h(
      'section',
      { id: 'comparison' },
      h('h2', {}, 'PBT vs baselines'),
      h(
        'p',
        { class: 'note' },
        'Best score seen so far against the population’s compute (sum of member steps), for experiments of the same group.',
      ),
      div,
      h(
        'table',
        { class: 'grid' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...[
              'experiment',
              'method',
              'members',
              'best final',
              'best seen',
              'steps',
              `steps to ${formatNum(c.threshold)}`,
            ].map((t) => h('th', {}, t)),
          ),
        ),
        h(
          'tbody',
          {},
          ...c.rows.map((r) =>
            h(
              'tr',
              {},
              h('td', {}, r.label),
              h('td', {}, r.method),
              h('td', { class: 'num' }, r.populationSize),
              h('td', { class: 'num' }, formatNum(r.bestFinalScore)),
              h('td', { class: 'num' }, formatNum(r.bestScoreSeen)),
              h('td', { class: 'num' }, r.totalSteps),
              h('td', { class: 'num' }, r.stepsToThreshold ?? '—'),
            ),
          ),
        ),
      ),
    );
    lineChart(div, toCurves(c.series), {
      title: '',
      xLabel: 'population steps',
      yLabel: 'best score',
      colorByIndex: true,
      legend: true,
      width,
      height: 280,
    });
    return section;
  }
}

function scheduleTable(schedule: Schedule, names: readonly string[]): HTMLElement {
  const shown =
    names.length > 0
      ? names
      : [...new Set(schedule.segments.flatMap((s) => Object.keys(s.hparams)))].sort();
  return h(
    'table',
    { class: 'grid schedule' },
    h(
      'thead',
      {},
      h('tr', {}, ...['model steps', 'trained by', ...shown].map((t) => h('th', {}, t))),
    ),
    h(
      'tbody',
      {},
      ...schedule.segments.map((seg) =>
        h(
          'tr',
          {},
          h('td', { class: 'num' }, `${seg.fromModelStep}–${seg.toModelStep}`),
          h('td', {}, `m${seg.memberId} (steps ${seg.fromMemberStep}–${seg.toMemberStep})`),
          ...shown.map((n) => h('td', { class: 'num' }, formatValue(seg.hparams[n]))),
        ),
      ),
    ),
  );
}

// ---------- start ----------

let reportTime = 0;
const inline = document.getElementById('pbt-data');
if (inline !== null) {
  const data = JSON.parse(inline.textContent ?? '{}') as {
    snapshot: ExperimentSnapshot;
    generatedAt: number;
  };
  reportTime = data.generatedAt;
  new ExperimentView(new ExperimentState(fromSnapshot(data.snapshot)), false).render();
} else {
  window.addEventListener('hashchange', route);
  route();
}
