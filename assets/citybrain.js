// Browser-side helpers of the clientside callbacks. Served by the app: no CDN.
window.citybrain = {
  // Mirror the filter store into the address bar; tell dcc.Location so Back/Forward work.
  writeUrl: function (data) {
    if (!data || !data.query) {
      return [window.dash_clientside.no_update, window.dash_clientside.no_update];
    }
    if (window.location.search !== data.query) {
      window.history.pushState({}, '', window.location.pathname + data.query);
      window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
    }
    return [data.query, window.location.pathname + data.lang_query];
  },
  clock: function () {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, '0');
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  },
};
