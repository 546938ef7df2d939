// The live log list: a bounded ring of rows, rendered once per animation frame and virtualised
// (only the rows in view exist in the DOM), so bursts of thousands of entries per second cost
// one layout per frame, not one per entry.

import { LEVELS, RANKED_LEVELS, clockTime, count, dayLabel, fullTime } from './format.js';

const KNOWN_LEVELS = new Set(RANKED_LEVELS);
// Rows drawn above and below the visible ones, so fast scrolling does not show blank space.
const OVERSCAN = 8;
// Characters of the message shown in its one-line row; the expanded row has the whole text.
const PREVIEW_CHARS = 400;
// Lines of an expanded row shown before it scrolls inside itself. A known line count gives a
// known row height without measuring the DOM, which keeps the virtual list exact.
const DETAIL_MAX_LINES = 16;
// Shortest time between two screens of entirely new rows while following a flood.
const FLOOD_INTERVAL_MS = 50;

export class LogView {
  // `scroller` holds .log-canvas > .log-window. Keeps at most `capacity` rows; while paused,
  // keeps up to `capacity` more waiting and counts what arrives beyond that.
  constructor(scroller, { capacity = 5000, onChange = () => {}, onFieldClick = () => {} } = {}) {
    this.scroller = scroller;
    this.onFieldClick = onFieldClick;  // a metadata value was clicked: its field-search term
    this.canvas = scroller.querySelector('.log-canvas');
    this.win = scroller.querySelector('.log-window');
    this.capacity = capacity;
    this.onChange = onChange;

    this.ring = new Array(capacity);
    this.first = 0;  // sequence number of the oldest row kept
    this.next = 0;   // sequence number the next row gets
    this.pending = [];
    this.overflowWhilePaused = 0;
    this.ids = new Set();          // ids in the ring or pending: history and live may overlap
    this.expanded = [];            // sequence numbers of expanded rows, ascending
    this.extraHeight = 0;          // sum of the expanded rows' extra heights
    this.removedHeight = 0;        // height evicted since the last frame, to keep the view still
    this.following = true;
    this.paused = false;
    this.selected = -1;
    this.nodes = [];               // row elements in view, in order
    this.spare = [];               // row elements out of the DOM, for reuse
    this.frame = 0;
    this.dirty = false;            // something besides new entries needs a redraw
    this.admittedAt = -Infinity;   // when waiting entries last joined the list

    this.measure();
    scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    // Reading the position alone would lose to a row arriving in the same frame as the wheel.
    scroller.addEventListener('wheel', (e) => { if (e.deltaY < 0) this.setFollowing(false); },
      { passive: true });
    scroller.addEventListener('click', (e) => this.onClick(e));
    new ResizeObserver(() => { this.measure(); this.schedule(); }).observe(scroller);
  }

  get size() { return this.next - this.first; }
  get waiting() { return this.pending.length; }

  // Queues live or history entries for the next frame; entries already shown are skipped.
  push(entries) {
    for (const entry of entries) {
      if (!entry || typeof entry !== 'object') continue;
      if (typeof entry.id === 'string') {
        if (this.ids.has(entry.id)) continue;
        this.ids.add(entry.id);
      }
      this.pending.push({ seq: -1, entry });
    }
    this.trimPending();
    this.requestFrame();
  }

  // Queues a notice row (kind: gap, dropped, info) in order with the entries around it.
  mark(kind, text) {
    this.pending.push({ seq: -1, marker: { kind, text } });
    this.requestFrame();
  }

  // Empties the view, including what waits behind a pause.
  clear() {
    this.ring.fill(undefined);
    this.first = this.next;
    this.pending = [];
    this.overflowWhilePaused = 0;
    this.ids.clear();
    this.expanded = [];
    this.extraHeight = 0;
    this.removedHeight = 0;
    this.selected = -1;
    this.setFollowing(true);
    this.schedule();
  }

  setPaused(paused) {
    if (this.paused === paused) return;
    if (!paused) {
      this.trimPending(0);
      // The notice takes a row of the ring too; without room it would be evicted at once.
      if (this.overflowWhilePaused) this.trimPending(0, this.capacity - 1);
    }
    this.paused = paused;
    if (!paused && this.overflowWhilePaused) {
      // The lines that overflowed were older than everything waiting: say so where they were.
      this.pending.unshift({
        seq: -1,
        marker: {
          kind: 'dropped',
          text: `${count(this.overflowWhilePaused)} lines arrived while paused beyond the ` +
            `${count(this.capacity)}-line buffer and are not shown`,
        },
      });
      this.overflowWhilePaused = 0;
    }
    this.schedule();
  }

  setFollowing(following) {
    if (this.following === following) return;
    this.following = following;
    this.schedule();
  }

  // Jumps to the newest row and keeps following it.
  follow() {
    this.setFollowing(true);
    this.selected = -1;
    this.schedule();
  }

  // Moves the selection by `delta` rows (j/k); without one, starts at the edge of the view
  // it moves away from (the bottom row going up, the top row going down).
  moveSelection(delta) {
    if (this.size === 0) return;
    let seq = this.selected;
    if (seq < this.first || seq >= this.next) {
      seq = delta < 0 ? this.lastVisible() : this.firstVisible();
    } else {
      seq += delta;
    }
    this.selected = Math.min(this.next - 1, Math.max(this.first, seq));
    this.revealSelected();
    this.schedule();
  }

  toggleSelected() {
    if (this.selected >= this.first && this.selected < this.next) this.toggle(this.selected);
  }

  // --- model ------------------------------------------------------------------------------

  // Keeps what waits bounded: while paused, and while a hidden tab gets no animation frames.
  // What is trimmed could never be shown (the ring keeps only `capacity` rows); during a pause
  // it is counted, because the reader expected to see it on resume.
  // Trims once `chunk` entries are over: amortised O(1) per entry, not a shift per entry.
  trimPending(chunk = this.capacity / 4, keep = this.capacity) {
    const excess = this.pending.length - keep;
    if (excess <= 0 || excess < chunk) return;
    for (const item of this.pending.splice(0, excess)) {
      if (!item.entry) continue;
      if (typeof item.entry.id === 'string') this.ids.delete(item.entry.id);
      if (this.paused) this.overflowWhilePaused++;
    }
  }

  admitPending() {
    let items = this.pending;
    this.pending = [];
    if (items.length > this.capacity) {
      // These would be evicted within this very frame; skip the work.
      for (const item of items.slice(0, items.length - this.capacity)) {
        if (item.entry && typeof item.entry.id === 'string') this.ids.delete(item.entry.id);
      }
      items = items.slice(items.length - this.capacity);
    }
    for (const item of items) {
      if (this.size === this.capacity) this.evictOldest();
      item.seq = this.next++;
      this.ring[item.seq % this.capacity] = item;
    }
  }

  evictOldest() {
    const item = this.ring[this.first % this.capacity];
    this.ring[this.first % this.capacity] = undefined;
    this.first++;
    if (item.entry && typeof item.entry.id === 'string') this.ids.delete(item.entry.id);
    this.removedHeight += this.rowHeight;
    if (this.expanded[0] === item.seq) {
      this.expanded.shift();
      this.extraHeight -= item.extra;
      this.removedHeight += item.extra;
    }
  }

  item(seq) { return this.ring[seq % this.capacity]; }

  toggle(seq) {
    const item = this.item(seq);
    if (!item || !item.entry) return;
    const at = this.expanded.indexOf(seq);
    if (at >= 0) {
      this.expanded.splice(at, 1);
      this.extraHeight -= item.extra;
    } else {
      if (item.detail === undefined) {
        item.detail = detailLines(item.entry);
        const lines = Math.min(DETAIL_MAX_LINES, item.detail.length);
        item.extra = lines * this.lineHeight + this.detailPadding;
      }
      let i = this.expanded.length;
      while (i > 0 && this.expanded[i - 1] > seq) i--;
      this.expanded.splice(i, 0, seq);
      this.extraHeight += item.extra;
    }
    this.schedule();
  }

  // --- geometry ---------------------------------------------------------------------------

  measure() {
    const style = getComputedStyle(this.scroller);
    this.rowHeight = parseFloat(style.getPropertyValue('--row-h')) || 24;
    this.lineHeight = parseFloat(style.getPropertyValue('--detail-line-h')) || 18;
    this.detailPadding = parseFloat(style.getPropertyValue('--detail-pad')) || 16;
    this.viewRows = Math.max(1, Math.ceil(this.scroller.clientHeight / this.rowHeight));
  }

  offsetOf(seq) {
    let extra = 0;
    for (const s of this.expanded) {
      if (s >= seq) break;
      extra += this.item(s).extra;
    }
    return (seq - this.first) * this.rowHeight + extra;
  }

  seqAt(y) {
    let extra = 0;
    for (const s of this.expanded) {
      const top = (s - this.first) * this.rowHeight + extra;
      if (y < top) break;
      const height = this.rowHeight + this.item(s).extra;
      if (y < top + height) return s;
      extra += this.item(s).extra;
    }
    const seq = this.first + Math.floor((y - extra) / this.rowHeight);
    return Math.min(this.next - 1, Math.max(this.first, seq));
  }

  firstVisible() { return this.seqAt(this.scroller.scrollTop); }

  lastVisible() {
    return this.seqAt(this.scroller.scrollTop + this.scroller.clientHeight - 1);
  }

  revealSelected() {
    const top = this.offsetOf(this.selected);
    const item = this.item(this.selected);
    const bottom = top + this.rowHeight + (this.expanded.includes(this.selected) ? item.extra : 0);
    const view = this.scroller;
    if (top < view.scrollTop) {
      this.setFollowing(false);
      view.scrollTop = top;
    } else if (bottom > view.scrollTop + view.clientHeight) {
      view.scrollTop = bottom - view.clientHeight;
    }
  }

  // --- rendering --------------------------------------------------------------------------

  // Redraws on the next frame: something other than new entries changed (scroll, size, state).
  schedule() {
    this.dirty = true;
    this.requestFrame();
  }

  requestFrame() {
    if (!this.frame) this.frame = requestAnimationFrame((now) => this.render(now));
  }

  onScroll() {
    const view = this.scroller;
    const atBottom = view.scrollTop + view.clientHeight >= view.scrollHeight - this.rowHeight / 2;
    if (atBottom !== this.following) this.setFollowing(atBottom);
    this.schedule();
  }

  onClick(event) {
    const value = event.target.closest('.field-value');
    if (value) {
      this.onFieldClick(value.dataset.term);
      return;
    }
    const row = event.target.closest('.row');
    // Clicks inside the details select text; they must not fold the row under the cursor.
    if (!row || event.target.closest('.detail') || !row.item) return;
    const selection = window.getSelection();
    if (selection && !selection.isCollapsed) return;
    this.selected = row.item.seq;
    this.toggle(row.item.seq);
  }

  render(now) {
    this.frame = 0;
    if (!this.paused && this.pending.length) {
      // Under a flood every row on screen changes each frame; nobody reads 60 screens a
      // second, and 20 cost a third as much, which keeps the page responsive.
      const flood = this.following && this.pending.length >= this.viewRows;
      if (flood && now - this.admittedAt < FLOOD_INTERVAL_MS) {
        this.requestFrame();
        if (!this.dirty) return;
      } else {
        this.admitPending();
        this.admittedAt = now;
      }
    }
    this.dirty = false;

    const view = this.scroller;
    const total = this.size * this.rowHeight + this.extraHeight;
    this.canvas.style.height = `${total}px`;
    if (this.following) {
      view.scrollTop = total;
    } else if (this.removedHeight) {
      // Rows left at the top: move with the content so the reader's line stays put.
      view.scrollTop = Math.max(0, view.scrollTop - this.removedHeight);
    }
    this.removedHeight = 0;
    view.classList.toggle('is-empty', this.size === 0);

    let from = this.first;
    let to = this.first;
    if (this.size > 0) {
      from = Math.max(this.first, this.seqAt(view.scrollTop) - OVERSCAN);
      to = Math.min(this.next, this.seqAt(view.scrollTop + view.clientHeight) + 1 + OVERSCAN);
      this.win.style.transform = `translateY(${this.offsetOf(from)}px)`;
    }
    this.place(from, to);
    this.onChange(this);
  }

  // Shows rows [from, to) in the window. A row still in view keeps its node untouched, so a
  // frame that adds k rows writes k rows, not the whole screen.
  place(from, to) {
    const byItem = new Map();
    for (const node of this.nodes) byItem.set(node.item, node);
    const wanted = [];
    for (let seq = from; seq < to; seq++) {
      const item = this.item(seq);
      const node = byItem.get(item);
      if (node) byItem.delete(item);
      wanted.push(node);
    }
    // What scrolled out leaves the DOM first, so the rows that stay never move in it.
    for (const node of byItem.values()) {
      node.remove();
      this.spare.push(node);
    }
    let cursor = this.win.firstChild;
    let expandedAt = 0;
    for (let i = 0; i < wanted.length; i++) {
      const seq = from + i;
      let node = wanted[i];
      if (node) {
        cursor = node.nextSibling;
      } else {
        node = this.spare.pop() || makeRow();
        this.win.insertBefore(node, cursor);
        wanted[i] = node;
      }
      while (expandedAt < this.expanded.length && this.expanded[expandedAt] < seq) expandedAt++;
      this.draw(node, this.item(seq), this.expanded[expandedAt] === seq);
    }
    this.nodes = wanted;
  }

  draw(node, item, open) {
    if (node.item !== item || node.open !== open) {
      node.item = item;
      node.open = open;
      if (item.marker) this.fillMarker(node, item.marker);
      else this.fillEntry(node, item, open);
    }
    node.classList.toggle('selected', item.seq === this.selected);
  }

  fillMarker(node, marker) {
    const [time, level, message, more] = node.children;
    node.className = `row marker marker-${marker.kind}`;
    time.textContent = '';
    time.dataset.ms = '';
    level.textContent = '';
    message.textContent = marker.text;
    more.textContent = '';
    node.style.height = '';
    node.removeAttribute('aria-expanded');
    dropDetail(node);
  }

  fillEntry(node, item, open) {
    const [time, level, message, more] = node.children;
    const e = item.entry;
    const name = typeof e.level === 'string' ? e.level : 'info';
    const encrypted = e.encrypted === true;
    node.className = `row lvl-${KNOWN_LEVELS.has(name) ? name : 'other'}${encrypted ? ' encrypted' : ''}`;
    // The stylesheet draws the mark; the title says what it means.
    message.title = encrypted ? 'Encrypted by the producer: the message is ciphertext' : '';
    // Milliseconds go in an attribute that narrow screens leave out (styles.css).
    const clock = clockTime(e.timestamp);
    // Not today: the day first, to the minute (the full time is in the title and the detail).
    const day = dayLabel(e.timestamp);
    time.textContent = day ? `${day} ${day.length > 5 ? '' : clock.slice(0, 5)}`.trim() : clock.slice(0, 8);
    time.dataset.ms = day ? '' : clock.slice(8);
    time.title = fullTime(e.timestamp);
    level.textContent = name;
    const text = typeof e.message === 'string' ? e.message : String(e.message);
    message.textContent = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
    // Shown in the "All my apps" view only (styles.css).
    message.dataset.app = typeof e.appId === 'string' ? e.appId : '';
    more.textContent = e.metadata !== undefined ? (open ? '▾ {…}' : '▸ {…}') : (open ? '▾' : '');
    node.setAttribute('aria-expanded', String(open));
    if (!open) {
      node.style.height = '';
      dropDetail(node);
      return;
    }
    node.style.height = `${this.rowHeight + item.extra}px`;
    let detail = node.querySelector('.detail');
    if (!detail) {
      detail = document.createElement('pre');
      detail.className = 'detail';
      detail.tabIndex = 0;
      node.append(detail);
    }
    detail.style.height = `${item.extra - this.detailPadding / 2}px`;
    renderDetail(detail, item.detail);
  }
}

function makeRow() {
  const node = document.createElement('div');
  node.className = 'row';
  node.append(span('t'), span('lvl'), span('msg'), span('more'));
  return node;
}

function span(className) {
  const s = document.createElement('span');
  s.className = className;
  return s;
}

function dropDetail(node) {
  const detail = node.querySelector('.detail');
  if (detail) detail.remove();
}

// The expanded row, one item per line: text, or a metadata field {name, value, term} whose
// value a click turns into a field-search term (docs/protocol.md, "Field search").
function detailLines(e) {
  const lines = [`time     ${fullTime(e.timestamp)}`, `level    ${e.level}`, `id       ${e.id}`];
  if (e.userId !== undefined) lines.push(`user     ${e.userId}`);
  if (e.encrypted === true) lines.push('encrypted yes: the message is ciphertext');
  if (e.encryption && typeof e.encryption === 'object') {
    lines.push(`keys     transmissionKey ${e.encryption.transmissionKey}`,
      `         encryptedKey ${e.encryption.encryptedKey}`);
  }
  // The whole message: the row cuts it at the edge of the screen.
  lines.push('', ...String(e.message).split('\n'));
  if (e.metadata !== undefined) {
    lines.push('');
    if (e.metadata !== null && typeof e.metadata === 'object' && !Array.isArray(e.metadata)) {
      const fields = [];
      flattenFields(e.metadata, [], fields);
      const width = Math.min(32, Math.max(...fields.map((f) => f.name.length), 0));
      for (const f of fields) lines.push({ ...f, name: f.name.padEnd(width) });
    } else {
      lines.push(...JSON.stringify(e.metadata, null, 2).split('\n'));
    }
  }
  return lines;
}

const NAME = /^[A-Za-z0-9_-]+$/;

// Leaves of the metadata object as dotted names. A value can be searched for when every name
// on its path can be written in the syntax and it is a string, number, boolean or null.
function flattenFields(value, path, out) {
  for (const [key, v] of Object.entries(value)) {
    const here = [...path, key];
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && here.length < 8) {
      flattenFields(v, here, out);
      continue;
    }
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    const searchable = !Array.isArray(v) && (v === null || typeof v !== 'object') &&
      NAME.test(here[0]) && /^[A-Za-z_]/.test(here[0]) && here.every((k) => NAME.test(k));
    out.push({ name: here.join('.'), value: text, term: searchable ? fieldTerm(here.join('.'), text) : null });
  }
}

function fieldTerm(name, value) {
  const plain = value !== '' && !/[\s"\\]/.test(value);
  return `${name}=${plain ? value : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`}`;
}

function renderDetail(detail, lines) {
  // Redrawn rows keep their detail: replacing it would drop the keyboard focus inside it.
  if (detail.shownLines === lines) return;
  detail.shownLines = lines;
  detail.replaceChildren();
  for (const line of lines) {
    if (typeof line === 'string') {
      detail.append(`${line}\n`);
      continue;
    }
    const name = document.createElement('span');
    name.className = 'field-name';
    name.textContent = `${line.name}  `;
    const value = document.createElement(line.term ? 'button' : 'span');
    value.className = line.term ? 'field-value' : 'field-plain';
    value.textContent = line.value;
    if (line.term) {
      value.type = 'button';
      value.dataset.term = line.term;
      value.title = `Show only entries with ${line.term}`;
    }
    detail.append(name, value, '\n');
  }
}
