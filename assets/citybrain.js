// Browser-side helpers of the clientside callbacks. Served by the app: no CDN.
window.citybrain = {
  // Mirror the filter store into the address bar; tell dcc.Location so Back/Forward work.
  // The screens' links keep the filters: relative paths, so a path prefix keeps working
  // (the same rule as layouts/frame.nav_href).
  // The charts' download links too (routes.py /export/chart/<chart>.<fmt>).
  writeUrl: function (data, navIds, exportIds) {
    const noUpdate = window.dash_clientside.no_update;
    if (!data || !data.query) {
      return [noUpdate, noUpdate, (navIds || []).map(() => noUpdate),
              (exportIds || []).map(() => noUpdate)];
    }
    if (window.location.search !== data.query) {
      // a state read from the address bar only normalises it; a user's filter adds history
      const url = window.location.pathname + data.query;
      if (data.from_url) {
        window.history.replaceState({}, '', url);
      } else {
        window.history.pushState({}, '', url);
      }
      window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
    }
    const nav = (navIds || []).map(
      (id) => (id.screen === 'overview' ? './' : id.screen) + data.query);
    const exports = (exportIds || []).map(
      (id) => 'export/chart/' + id.chart + '.' + id.fmt + data.query);
    return [data.query, window.location.pathname + data.lang_query, nav, exports];
  },
  // The monthly report's file links (callbacks/report.py): month, sections, language and
  // the chosen district, written here at once rather than with the preview, which takes
  // seconds, so a link always says what the boxes say. Relative, as the links above;
  // /report/<month>.<fmt> checks every parameter.
  reportLinks: function (data, month, sections, linkIds) {
    // no month, or no section ticked: nothing to build (the preview says why)
    if (!data || !month || !sections || !sections.length) {
      return (linkIds || []).map(() => null);
    }
    const enc = (v) => encodeURIComponent(v).replace(/%2C/g, ',');
    let query = '?month=' + enc(month) + '&sections=' + enc(sections.join(','))
      + '&lang=' + enc(data.lang);
    if (data.district) { query += '&districts=' + enc(data.district); }
    return (linkIds || []).map((id) => 'report/' + enc(month) + '.' + id.fmt + query);
  },
  // Scale the fixed 1920x1080 canvas to the window, letterboxed, without scrollbars.
  fitCanvas: function () {
    const scale = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    const root = document.documentElement.style;
    root.setProperty('--cb-scale', scale);
    root.setProperty('--cb-left', ((window.innerWidth - 1920 * scale) / 2) + 'px');
    root.setProperty('--cb-top', ((window.innerHeight - 1080 * scale) / 2) + 'px');
  },
  // A new filter state for the event records grid (callbacks/events.py): its rows are of the
  // old one, so it drops them and asks the server again, from the first row. A grid not
  // drawn yet needs nothing: its first request reads the store.
  reloadGrid: function (data, gridId) {
    const noUpdate = window.dash_clientside.no_update;
    let api = null;
    try {
      api = data && window.dash_ag_grid ? window.dash_ag_grid.getApi(gridId) : null;
    } catch (e) {
      api = null;     // "no grid found, or grid is not initialized yet"
    }
    if (!api) { return noUpdate; }
    api.ensureIndexVisible(0, 'top');
    api.purgeInfiniteCache();
    return data.query;
  },
  wall: null,   // the wall's rotation (below), set up on the first /wall page
  // The centre's time (CITYBRAIN_TZ, the clock's data-zone), whatever the display's own zone.
  clock: function () {
    const el = document.querySelector('[data-zone]');
    const options = {year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
                     minute: '2-digit', second: '2-digit', hourCycle: 'h23'};
    let format;
    try {
      format = new Intl.DateTimeFormat('en-CA', {...options, timeZone: el && el.dataset.zone});
    } catch (e) {      // a zone this browser does not know: its own
      format = new Intl.DateTimeFormat('en-CA', options);
    }
    const part = {};
    format.formatToParts(new Date()).forEach((p) => { part[p.type] = p.value; });
    return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second}`;
  },
};

// The wall (callbacks/wall.py): which scene each slot of the display shows, and when.
// A display is as many 1920x1080 slots side by side as its shape holds (16:9: one; 5760x1080:
// three; 7680x2160: two, each twice as big), scaled without distortion. The playlist rotates
// through the slots; a scene with a standing alert is brought forward: on a wall of several
// slots it holds the first slot (several such scenes take turns there), on a single screen
// it comes back every other turn. A new alert (a key not seen before) restarts the rotation
// on its scene at once. Refreshes replace figures, never this state, so the rotation goes on
// where it was. Every standing alert is shown in turn: the banner steps through all of them
// (most severe first, a new one at once) and the alert list turns its pages, each every
// config.alert_seconds; both link to the overview of the alert's area and window.
// The phone view (/m): what a tap changed into view. An alert chosen for the assign form:
// the form (it sits above the list the tap was in); a KPI card: the map it colours.
window.citybrain.phoneScroll = function (chosen) {
  const trigger = (window.dash_clientside.callback_context.triggered || [])[0] || {};
  const id = trigger.prop_id || '';
  const target = id.startsWith('m-chosen') ? (chosen ? 'm-form' : null)
    : (trigger.value ? 'm-map-title' : null);
  if (target) {
    // after the server's answer has shown the form (or redrawn the map's title)
    setTimeout(function () {
      const el = document.getElementById(target);
      if (el) el.scrollIntoView({block: 'start', behavior: 'smooth'});
    }, 150);
  }
  return '';
};

window.citybrain.wall = {
  config: null, alerts: [], seen: {}, turn: 0, timer: null, slots: 1, step: 0, ticker: null,

  update: function (config, alerts) {
    if (!config) { return ''; }
    this.alerts = alerts || [];
    this.listAlerts(config);
    // an escalation (data/command.py: not acknowledged in time) is news as a new alert is
    const seenAs = (a) => a.key + (a.escalated ? '!' : '');
    const fresh = this.alerts.filter((a) => !this.seen[seenAs(a)]);
    this.seen = {};     // an alert that clears and comes back is new again
    this.alerts.forEach((a) => { this.seen[seenAs(a)] = true; });
    if (JSON.stringify(config) !== JSON.stringify(this.config)) {
      this.config = config;
      this.turn = 0;
      this.fit();
    } else if (fresh.length) {
      this.turn = this.turnShowing(fresh[0].scene);   // the new alert's scene, now
      this.step = this.alerts.indexOf(fresh[0]);      // ... and the banner names it
    } else {
      this.show();     // same rotation; only the banner and the list may change
      this.banner();
      this.pageAlerts();
      return '';
    }
    this.schedule();
    this.tick(false);
    return '';
  },

  // The banner's next alert and the list's next page, every config.alert_seconds.
  tick: function (advance) {
    clearTimeout(this.ticker);
    if (advance) { this.step += 1; }
    this.banner();
    this.pageAlerts();
    this.ticker = setTimeout(() => this.tick(true), this.config.alert_seconds * 1000);
  },

  // The alert list's box (layouts/wall.alert_list): every standing alert, most severe first,
  // as a link to the overview of its area and window, who holds it on a line of its own
  // (escalated: red), config.alert_page of them at a time (pageAlerts turns the pages).
  listAlerts: function (config) {
    const text = config.text, per = config.alert_page, alerts = this.alerts;
    const make = (tag, className, content) => {
      const el = document.createElement(tag);
      if (className) { el.className = className; }
      if (content) { el.textContent = content; }
      return el;
    };
    document.querySelectorAll('.wall-alert-list').forEach((box) => {
      const head = make('h3', '', text.alerts +
        (alerts.length ? ' · ' + text.more.replace('{n}', alerts.length) : ''));
      const label = make('span', 'wall-alert-page');
      label.dataset.text = text.page;
      head.appendChild(label);
      if (!alerts.length) {
        box.replaceChildren(head, make('p', 'wall-quiet', text.none));
        return;
      }
      const list = make('ul', 'wall-alert-items');
      alerts.forEach((a, n) => {
        const item = make('li', 'wall-alert-item scene-' + a.scene +
                          (a.escalated ? ' escalated' : ''));
        item.dataset.page = Math.floor(n / per);
        item.dataset.key = a.key;
        item.hidden = n >= per;
        const link = make('a', '', a.text);
        link.href = a.href;
        if (a.holder) { link.appendChild(make('span', 'wall-alert-holder', a.holder)); }
        item.appendChild(link);
        list.appendChild(item);
      });
      box.replaceChildren(head, list);
    });
  },

  // The alert list shows one page of its items at a time.
  pageAlerts: function () {
    document.querySelectorAll('.wall-alert-items').forEach((list) => {
      const items = list.querySelectorAll('.wall-alert-item');
      const pages = items.length ? Number(items[items.length - 1].dataset.page) + 1 : 1;
      const page = this.step % pages;
      items.forEach((li) => { li.hidden = Number(li.dataset.page) !== page; });
      const label = list.parentElement.querySelector('.wall-alert-page');
      if (label && pages > 1) {
        label.textContent = label.dataset.text.replace('{i}', page + 1).replace('{n}', pages);
      }
      list.dataset.page = page;
    });
  },

  // Scenes with standing alerts, most severe first, each once.
  pinned: function () {
    const out = [];
    this.alerts.forEach((a) => { if (out.indexOf(a.scene) < 0) { out.push(a.scene); } });
    return out;
  },

  // Every scene the wall may show: the playlist's and those with alerts.
  pool: function () {
    const names = this.config.scenes.map((s) => s[0]);
    return names.concat(this.pinned().filter((n) => names.indexOf(n) < 0));
  },

  // The scenes the slots show at a turn, never one scene twice (each exists once in the page).
  frame: function (turn) {
    const names = this.config.scenes.map((s) => s[0]);
    const pinned = this.pinned();
    const rest = names.filter((n) => pinned.indexOf(n) < 0);
    const others = rest.length ? rest : names;
    let first;
    if (!pinned.length) {
      first = names[turn % names.length];
    } else if (this.slots > 1 || !rest.length) {
      first = pinned[turn % pinned.length];
    } else {
      first = turn % 2 === 0 ? pinned[(turn / 2) % pinned.length]
        : others[((turn - 1) / 2) % others.length];
    }
    const slots = [first];
    const order = pinned.length ? others.concat(pinned) : names;
    const offset = pinned.length ? turn : turn + 1;
    for (let i = 0; slots.length < this.slots && i < order.length * 2; i++) {
      const name = order[(offset + i) % order.length];
      if (slots.indexOf(name) < 0) { slots.push(name); }
    }
    return slots;
  },

  // The first turn from now whose first slot shows a scene.
  turnShowing: function (scene) {
    for (let t = 0; t < 4 * this.pool().length; t++) {
      if (this.frame(t)[0] === scene) { return t; }
    }
    return 0;
  },

  seconds: function (name) {
    const entry = this.config.scenes.find((s) => s[0] === name);
    return entry ? entry[1] : Math.min.apply(null, this.config.scenes.map((s) => s[1]));
  },

  schedule: function () {
    clearTimeout(this.timer);
    const shown = this.show();
    this.timer = setTimeout(() => { this.turn += 1; this.schedule(); },
                            this.seconds(shown[0]) * 1000);
  },

  show: function () {
    const shown = this.frame(this.turn);
    document.querySelectorAll('.wall-scene').forEach((el) => {
      const slot = shown.indexOf(el.dataset.scene);
      el.classList.toggle('shown', slot >= 0);
      el.style.left = (slot >= 0 ? slot * 1920 : 0) + 'px';
    });
    const root = document.getElementById('wall-root');
    if (root) { root.dataset.shown = shown.join(','); root.dataset.turn = this.turn; }
    return shown;
  },

  // The banner names one standing alert at a time, in turn (its number of all), as a link
  // to the overview of its area and window; its type shrinks until the line fits.
  banner: function () {
    const el = document.getElementById('wall-banner');
    if (!el) { return; }
    if (!this.alerts.length) { el.hidden = true; return; }
    const at = this.step % this.alerts.length;
    const alert = this.alerts[at];
    const text = this.config.text;
    // who holds it (data/command.py), when someone does or nobody did in time; the list
    // says "unacknowledged since" of the others, the banner's line keeps its room
    const held = alert.holder && (alert.state !== 'open' || alert.escalated);
    el.textContent = '⚠ ' + text.alert + ' · ' +
      text.position.replace('{i}', at + 1).replace('{n}', this.alerts.length) + ' · ' +
      alert.text + (held ? ' · ' + alert.holder : '');
    el.classList.toggle('escalated', !!alert.escalated);
    el.href = alert.href;
    el.dataset.scene = alert.scene;
    el.dataset.key = alert.key;
    el.hidden = false;
    el.style.fontSize = '';
    for (let size = 28; size > 16 && el.scrollWidth > el.clientWidth; size -= 2) {
      el.style.fontSize = size - 2 + 'px';
    }
  },

  fit: function () {
    const w = window.innerWidth, h = window.innerHeight;
    // as many slots as the shape holds, but never more than there are scenes to fill them
    this.slots = Math.min(Math.max(1, Math.round((w / h) / (16 / 9))), this.pool().length);
    const width = 1920 * this.slots;
    const scale = Math.min(w / width, h / 1080);
    const root = document.documentElement.style;
    root.setProperty('--wall-width', width + 'px');
    root.setProperty('--wall-scale', scale);
    root.setProperty('--wall-left', ((w - width * scale) / 2) + 'px');
    root.setProperty('--wall-top', ((h - 1080 * scale) / 2) + 'px');
  },
};

window.addEventListener('resize', function () {
  window.citybrain.fitCanvas();
  const wall = window.citybrain.wall;
  if (wall.config) { wall.fit(); wall.show(); }
});
window.citybrain.fitCanvas();

// A session that ends (signed out, disabled, a revoked kiosk token, expired) answers the
// callbacks with 401: reload, so the page goes to sign-in, or says the token is gone.
(function () {
  const fetchOriginal = window.fetch;
  window.fetch = function () {
    return fetchOriginal.apply(this, arguments).then(function (response) {
      if (response.status === 401 && String(response.url).includes('_dash-update-component')) {
        window.location.reload();
      }
      return response;
    });
  };
})();

// The time slider's handles say their date (the slider counts days since the store's first
// day, which its box carries as data-first-day: layouts/frame.time_slider).
window.dccFunctions = window.dccFunctions || {};
window.dccFunctions.cbSliderDate = function (value) {
  const box = document.querySelector('.slider-box[data-first-day]');
  if (!box) { return String(value); }
  const day = new Date(box.dataset.firstDay + 'T00:00:00Z');
  day.setUTCDate(day.getUTCDate() + Number(value));
  return day.toISOString().slice(0, 10);
};

// Plotly's own texts (the modebar's tooltips, the zoom hint) in the page's language: plotly
// ships English only and its locale files come from a CDN, so its Chinese texts are here. A
// chart takes the language of the screen it is on (.lang-en), on every draw.
(function () {
  const ZH_CN = {
    'Zoom': '缩放', 'Pan': '平移', 'Box Select': '框选', 'Lasso Select': '套索选择',
    'Zoom in': '放大', 'Zoom out': '缩小', 'Autoscale': '自适应', 'Reset axes': '复位坐标轴',
    'Reset view': '复位视图', 'Reset views': '复位视图', 'Reset': '复位',
    'Double-click to zoom back out': '双击复原', 'Download plot': '下载图表',
    'Toggle Spike Lines': '显示/隐藏辅助线', 'Show closest data on hover': '悬停显示最近数据',
    'Compare data on hover': '悬停比较数据',
  };
  // A legend above the plot that wraps onto a second row (English names in a narrow panel:
  // AQI levels, event stages) grows upward over the title's second line, the data's as-of.
  // Only the drawing knows its rows, so after every drawing (a new figure, a resize) the
  // top margin grows by the overlap; the drawing that follows finds none.
  const fitLegend = function (plotly, gd) {
    const legend = gd.querySelector('.legend');
    const title = gd.querySelector('.g-gtitle');
    const full = gd._fullLayout;
    if (!legend || !title || !full || !full.width) { return; }
    const l = legend.getBoundingClientRect();
    const t = title.getBoundingClientRect();
    const overlap = t.bottom - l.top + 2;
    if (!l.height || !t.height || overlap <= 0 || l.left >= t.right || l.right <= t.left) {
      return;
    }
    // the canvas is scaled to the window: the rectangles are in its pixels, margins in the
    // figure's
    const scale = gd.getBoundingClientRect().width / full.width;
    const top = full.margin.t + Math.ceil(overlap / scale);
    if (top < full.height / 2) { plotly.relayout(gd, {'margin.t': top}); }
  };
  const watchLegend = function (plotly, gd) {
    if (gd && gd.on && !gd.cbLegendWatched) {
      gd.cbLegendWatched = true;
      gd.on('plotly_afterplot', function () { fitLegend(plotly, gd); });
      fitLegend(plotly, gd);      // the drawing that just ended
    }
    return gd;
  };
  let installed = false;
  const install = function (plotly) {
    if (installed || !plotly || !plotly.react || !plotly.register) { return false; }
    installed = true;
    plotly.register({moduleType: 'locale', name: 'zh-CN', dictionary: ZH_CN});
    const react = plotly.react;
    plotly.react = function (gd, figure) {
      if (figure && figure.config && gd && gd.closest) {
        figure.config.locale = gd.closest('.lang-en') ? 'en' : 'zh-CN';
      }
      const drawn = react.apply(this, arguments);
      return drawn && drawn.then ? drawn.then(function (g) { return watchLegend(plotly, g); })
        : drawn;
    };
    return true;
  };
  // at the moment plotly's bundle sets window.Plotly, before its first chart (polling for it
  // lost the race now and then: the map's tool bar stayed English)
  if (!install(window.Plotly)) {
    // a setter someone else put there first (a test's probe) keeps working, before ours
    const before = Object.getOwnPropertyDescriptor(window, 'Plotly');
    let current = window.Plotly;
    Object.defineProperty(window, 'Plotly', {
      configurable: true, enumerable: true,
      get: function () { return before && before.get ? before.get() : current; },
      set: function (value) {
        if (before && before.set) { before.set(value); } else { current = value; }
        install(window.Plotly);
      },
    });
    const waiting = setInterval(function () {
      if (install(window.Plotly) || installed) { clearInterval(waiting); }
    }, 50);
  }
})();

// The monthly report's files take seconds to build (a PDF of ~40 figures: 10-15 s), so a
// click on one fetches it while a line beside the links counts the seconds, then saves it
// under the server's file name; a refusal or failure is said in that line, not in a blank
// tab. Its texts come from the page (layouts/report_screen.py: data-* of #rpt-progress).
document.addEventListener('click', function (event) {
  const link = event.target.closest && event.target.closest('a.report-download');
  if (!link || !link.getAttribute('href')) { return; }
  event.preventDefault();
  const line = document.getElementById('rpt-progress');
  if (!line || line.dataset.busy) { return; }          // one report at a time
  const fmt = link.textContent.trim();
  const started = Date.now();
  const say = (text) => { line.textContent = text; };
  const tick = () => say(line.dataset.building.replace('{fmt}', fmt)
    .replace('{s}', Math.round((Date.now() - started) / 1000)));
  line.dataset.busy = '1';
  line.className = 'report-progress busy';
  tick();
  const timer = setInterval(tick, 1000);
  const done = (text, cls) => {
    clearInterval(timer);
    delete line.dataset.busy;
    line.className = 'report-progress ' + cls;
    say(text);
  };
  fetch(link.href, {credentials: 'same-origin'}).then(function (response) {
    if (!response.ok) {
      return response.text().then(function (body) {
        const message = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
        done(line.dataset.failed.replace('{msg}', message.slice(0, 200)
          || String(response.status)), 'failed');
      });
    }
    const header = response.headers.get('Content-Disposition') || '';
    const named = /filename\*=UTF-8''([^;]+)/i.exec(header) || /filename="?([^";]+)"?/i.exec(header);
    return response.blob().then(function (blob) {
      const save = document.createElement('a');
      save.href = URL.createObjectURL(blob);
      save.download = named ? decodeURIComponent(named[1]) : '';
      document.body.appendChild(save);
      save.click();
      save.remove();
      setTimeout(function () { URL.revokeObjectURL(save.href); }, 60000);
      done(line.dataset.done.replace('{fmt}', fmt)
        .replace('{s}', Math.round((Date.now() - started) / 1000)), 'ready');
    });
  }).catch(function (error) {
    done(line.dataset.failed.replace('{msg}', String(error)), 'failed');
  });
});
