// Recolouring a map without sending its shapes to MapLibre again.
//
// On every update plotly hands each map trace's MapLibre source a new GeoJSON, the colours
// written into the features. MapLibre then cuts all of it into tiles again in its worker and
// the page paints twice: recolouring the 9,559 grid cells took 1.6 s in Chromium (software
// WebGL), against a goal of 300 ms. A choropleth's shapes stay the same while an analyst
// filters (layouts/figures.choropleth_arrays keeps every area of the level in its trace), so
// when an update brings the very features the source already holds, the colours go to
// MapLibre as feature state instead: the tiles stay, and one frame paints the new colours.
// Hover, clicks and selection are plotly's own, from its calculated data, and stay exact.
//
// Plotly keeps its map traces' classes private; their prototypes are reached through the
// traces of a drawn map (subplot.traceHash) and patched once. Anything unexpected takes
// plotly's own path: a map is never worse off than without this file.
(function () {
  'use strict';

  // The per-feature properties plotly's choropleth writes: fill colour, opacity, opacity
  // when selected, outline colour and width (plotly.js src/traces/choroplethmap/convert.js).
  const PER_FEATURE = ['fc', 'mo', 'mo2', 'mlc', 'mlw'];
  const patched = new Set();

  // plotly's paint reads a property of the feature; read the feature state first
  function stateFirst(value) {
    if (value && value.type === 'identity' && PER_FEATURE.indexOf(value.property) >= 0) {
      return ['coalesce', ['feature-state', value.property], ['get', value.property]];
    }
    return value;
  }

  // Set what differs only: an unchanged style is then not rebuilt (a rebuilt style costs
  // MapLibre a second frame).
  function setOptions(map, layerId, method, options) {
    const read = method === 'setPaintProperty' ? 'getPaintProperty' : 'getLayoutProperty';
    Object.keys(options).forEach(function (name) {
      const value = method === 'setPaintProperty' ? stateFirst(options[name]) : options[name];
      if (JSON.stringify(map[read](layerId, name)) !== JSON.stringify(value)) {
        map[method](layerId, name, value);
      }
    });
  }

  // The paint of a choropleth's layers, given plotly's paint of each ({fill, line}).
  function paintOf(kind, paint, linePaint) {
    if (kind !== 'fill') { return paint; }
    // Shapes drawn without outlines (the city's grid cells, a few pixels each) are filled
    // without antialiased edges too: those showed as a lattice of seams between the cells,
    // and took half of every frame in a software-rendered WebGL.
    return Object.assign({}, paint, {'fill-antialias': linePaint['line-width'] !== 0});
  }

  function applyStyle(glTrace, opts) {
    const map = glTrace.subplot.map;
    glTrace.layerList.forEach(function (entry) {
      const layer = opts[entry[0]];
      if (!map.getLayer(entry[1])) { return; }
      setOptions(map, entry[1], 'setLayoutProperty', layer.layout);
      if (layer.layout.visibility === 'visible') {
        setOptions(map, entry[1], 'setPaintProperty',
                   paintOf(entry[0], layer.paint, opts.line.paint));
      }
    });
  }

  // A choropleth drawn before this file took over: its paint reads the feature state from
  // now on, so that its first recolour paints in one frame as every later one.
  function readStateFirst(glTrace) {
    const map = glTrace.subplot.map;
    const current = function (layerId, names) {
      const paint = {};
      names.forEach(function (name) { paint[name] = map.getPaintProperty(layerId, name); });
      return paint;
    };
    const ids = {};
    glTrace.layerList.forEach(function (entry) { ids[entry[0]] = entry[1]; });
    if (!map.getLayer(ids.fill) || !map.getLayer(ids.line)) { return; }
    const line = current(ids.line, ['line-color', 'line-width', 'line-opacity']);
    setOptions(map, ids.line, 'setPaintProperty', line);
    setOptions(map, ids.fill, 'setPaintProperty',
               paintOf('fill', current(ids.fill, ['fill-color', 'fill-opacity']), line));
  }

  function shapesOf(features) {
    return new Map(features.map(function (f) { return [f.id, f.geometry]; }));
  }

  // The shapes a trace's source holds: those of its last update, or at the first update the
  // ones plotly drew the map with.
  function heldShapes(glTrace) {
    if (!glTrace.cbShapes) {
      const source = glTrace.subplot.map.getSource(glTrace.sourceId);
      const data = source && source.serialize ? source.serialize().data : null;
      glTrace.cbShapes = shapesOf((data && data.features) || []);
    }
    return glTrace.cbShapes;
  }

  function sameShapes(held, features) {
    return held.size === features.length && features.every(function (f) {
      return held.get(f.id) === f.geometry;
    });
  }

  function dataDriven(value) {
    return Array.isArray(value) || Boolean(value && value.type === 'identity');
  }

  // A paint property turning from one value for all into one per feature (an outline of
  // picked areas, plotly's dimming of the unselected) or back: MapLibre's tiles keep the old
  // kind until they are cut again, and a feature state set before that throws inside
  // MapLibre's render ("this.expression.evaluate is not a function"). Such an update takes
  // plotly's own path, which cuts the tiles again.
  function switchesDataDriven(glTrace, opts) {
    const map = glTrace.subplot.map;
    return glTrace.layerList.some(function (entry) {
      const layer = opts[entry[0]];
      if (!layer || !layer.paint || !map.getLayer(entry[1])) { return false; }
      return Object.keys(layer.paint).some(function (name) {
        return dataDriven(map.getPaintProperty(entry[1], name)) !==
               dataDriven(stateFirst(layer.paint[name]));
      });
    });
  }

  // choroplethmap: `_update(opts)` receives plotly's converted trace ({geojson, fill, line}).
  function recolourInPlace(original) {
    return function (opts) {
      const features = (opts.geojson && opts.geojson.features) || [];
      const map = this.subplot.map;
      const source = this.sourceId;
      if (!features.length || !sameShapes(heldShapes(this), features) ||
          switchesDataDriven(this, opts)) {
        map.removeFeatureState({source: source});
        this.cbShapes = shapesOf(features);
        original.call(this, opts);
      } else {
        features.forEach(function (f) {
          const state = {};
          PER_FEATURE.forEach(function (key) {
            if (key in f.properties) { state[key] = f.properties[key]; }
          });
          map.setFeatureState({source: source, id: f.id}, state);
        });
      }
      applyStyle(this, opts);
    };
  }

  // densitymap and scattermap: a layer switched off is still updated (sent empty, its
  // MapLibre layer removed and added again) on every update of the figure. While it stays
  // off there is nothing to draw: leave it.
  function leaveWhileHidden(original) {
    return function (calcTrace) {
      const hidden = !(calcTrace && calcTrace[0] && calcTrace[0].trace &&
                       calcTrace[0].trace.visible === true);
      if (hidden && this.cbHidden) { return undefined; }
      this.cbHidden = hidden;
      return original.apply(this, arguments);
    };
  }

  function patchPrototype(glTrace) {
    const proto = Object.getPrototypeOf(glTrace);
    if (patched.has(proto)) { return true; }
    if (glTrace.type === 'choroplethmap' && typeof proto._update === 'function') {
      proto._update = recolourInPlace(proto._update);
    } else if ((glTrace.type === 'densitymap' || glTrace.type === 'scattermap') &&
               typeof proto.update === 'function') {
      proto.update = leaveWhileHidden(proto.update);
    } else {
      return false;
    }
    patched.add(proto);
    return true;
  }

  function patchTraces(gd) {
    const subplot = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    if (!subplot || !subplot.traceHash || !subplot.map) { return; }
    Object.keys(subplot.traceHash).forEach(function (uid) {
      const glTrace = subplot.traceHash[uid];
      if (!glTrace || glTrace.cbReady || !patchPrototype(glTrace)) { return; }
      glTrace.cbReady = true;
      if (glTrace.type === 'choroplethmap') {
        readStateFirst(glTrace);
      } else {
        const trace = gd._fullData.find(function (t) { return t.uid === uid; });
        glTrace.cbHidden = !trace || trace.visible !== true;
      }
    });
  }

  // A map is taken over once drawn (plotly_afterplot comes once its MapLibre map has loaded).
  function follow(gd) {
    if (gd && gd.on && !gd.cbFollowed) {
      gd.cbFollowed = true;
      gd.on('plotly_afterplot', function () { patchTraces(gd); });
    }
  }

  // dcc.Graph draws and updates with Plotly.react, from a plotly.js it loads after this file
  // (and may already have started drawing with).
  function wrapReact(Plotly) {
    const react = Plotly.react;
    Plotly.react = function (gd) {
      const done = react.apply(this, arguments);
      follow(gd);
      return done;
    };
    document.querySelectorAll('.js-plotly-plot').forEach(function (gd) {
      patchTraces(gd);
      follow(gd);
    });
  }

  const waiting = setInterval(function () {
    if (window.Plotly && window.Plotly.react) {
      clearInterval(waiting);
      wrapReact(window.Plotly);
    }
  }, 50);
})();
