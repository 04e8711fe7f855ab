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
  // Scale the fixed 1920x1080 canvas to the window, letterboxed, without scrollbars.
  fitCanvas: function () {
    const scale = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    const root = document.documentElement.style;
    root.setProperty('--cb-scale', scale);
    root.setProperty('--cb-left', ((window.innerWidth - 1920 * scale) / 2) + 'px');
    root.setProperty('--cb-top', ((window.innerHeight - 1080 * scale) / 2) + 'px');
  },
  clock: function () {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, '0');
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  },
};

window.addEventListener('resize', window.citybrain.fitCanvas);
window.citybrain.fitCanvas();
