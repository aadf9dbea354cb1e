/*
 * The command-centre wall, in the browser: rotation, clock, connection banner, fitting
 * the canvas to the screen, the nightly soft reload — and the map's style functions.
 *
 * Pure presentation: none of it needs the server, so it keeps running (and says so)
 * when the server is away. Namespaces: window.dash_clientside.wall (clientside
 * callbacks), window.citybrain.wall (helpers), window.citybrain.map (dash-leaflet).
 */
(function () {
  "use strict";

  const formatters = new Map(); // (locale, zone, kind) → Intl.DateTimeFormat, reused every second

  function fmt(locale, timeZone, kind) {
    const key = locale + "|" + timeZone + "|" + kind;
    if (!formatters.has(key)) {
      const opts = kind === "time"
        ? {hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone}
        : kind === "hhmm"
          ? {hour: "2-digit", minute: "2-digit", hour12: false, timeZone}
          : {year: "numeric", month: "long", day: "numeric", weekday: "long", timeZone};
      formatters.set(key, new Intl.DateTimeFormat(locale, opts));
    }
    return formatters.get(key);
  }

  function prefix() {
    const el = document.getElementById("_dash-config");
    try {
      return (el && JSON.parse(el.textContent).requests_pathname_prefix) || "/";
    } catch (e) {
      return "/";
    }
  }

  /** Scale the fixed-size canvas to the window when they differ (a 1920 design on a 1366 laptop). */
  function fit(config) {
    const root = document.getElementById("wall-root");
    if (!root || !config) return;
    const [w, h] = config.canvas;
    const s = Math.min(window.innerWidth / w, window.innerHeight / h);
    const scale = Math.abs(s - 1) < 0.01 ? "" : "scale(" + s.toFixed(4) + ")";
    if (root.style.transform !== scale) root.style.transform = scale;
  }

  /** True when the city clock reads reload_at and the page has been up long enough. */
  function shouldReload(hhmm, reloadAt, upMs) {
    return hhmm === reloadAt && upMs > 120000;
  }

  function softReload() {
    // Only reload when the server answers: a reload into "connection refused" would leave
    // the wall on a browser error page — exactly what a kiosk must never show.
    if (window.citybrain.wall.reloading) return;
    window.citybrain.wall.reloading = true;
    fetch(prefix() + "healthz", {cache: "no-store"})
      .then(() => window.location.reload())
      .catch(() => { window.citybrain.wall.reloading = false; });
  }

  async function reachable(timeoutMs) {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), timeoutMs);
    try {
      await fetch(prefix() + "healthz", {cache: "no-store", signal: ctrl.signal});
      return true; // any answer, even 503 (store trouble), means the server is there
    } catch (e) {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  window.citybrain = Object.assign(window.citybrain || {}, {
    wall: {fit, shouldReload, softReload, reachable, reloading: false},
  });

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.wall = {
    /** Show the next screen: panel classes, root class (layers), title, current screen. */
    rotate: function (n, config) {
      const screens = config.screens;
      const cur = screens[(config.start + (n || 0)) % screens.length];
      const outs = window.dash_clientside.callback_context.outputs_list[0];
      const classes = outs.map((o) => (o.id.screen === cur.name ? "cb-wall-screen cb-active" : "cb-wall-screen"));
      return [classes, cur.root, cur.title, cur.name];
    },

    /** The live clock (city time), the canvas fit, the nightly soft reload. */
    tick: function (n, config) {
      const now = new Date();
      fit(config);
      const hhmm = fmt("en-GB", config.timezone, "hhmm").format(now);
      if (shouldReload(hhmm, config.reload_at, performance.now())) softReload();
      return [fmt("en-GB", config.timezone, "time").format(now), fmt(config.locale, config.timezone, "date").format(now)];
    },

    /** Is the server there? Show "connection lost since HH:MM" until it is again. */
    ping: async function (n, state, config) {
      const nu = window.dash_clientside.no_update;
      const ok = await reachable(5000);
      const lost = state && state.lost;
      if (ok) {
        return lost ? [{lost: null}, "", "cb-conn-banner cb-hidden"] : [nu, nu, nu];
      }
      const since = lost || Date.now();
      const text = config.conn_lost.replace("{time}", fmt("en-GB", config.timezone, "hhmm").format(new Date(since)));
      return [{lost: since}, text, "cb-conn-banner"];
    },
  };

  // ----------------------------------------------------------------- map styling
  // Each layer's hideout is {values: {code: {c: colour, r: share, t: text}}, scale, names}.
  const NO_DATA = "#5c6b80";

  function val(context, feature) {
    const h = (context && context.hideout) || {};
    return [(h.values || {})[feature.id] || {}, h.scale || 1, h];
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }

  window.citybrain.map = {
    districtStyle: function (feature, context) {
      const [v, s] = val(context, feature);
      return {fillColor: v.c || NO_DATA, fillOpacity: 0.55, color: "#9fb3c8", weight: 2 * s, opacity: 0.9};
    },
    segmentStyle: function (feature, context) {
      const [v, s] = val(context, feature);
      return {color: v.c || NO_DATA, weight: 7 * s, opacity: 0.95, lineCap: "round"};
    },
    stationPoint: function (feature, latlng, context) {
      const [v, s, h] = val(context, feature);
      return L.circleMarker(latlng, {pane: h.pane, radius: 11 * s, fillColor: v.c || NO_DATA, fillOpacity: 0.95,
        color: "#0b1220", weight: 2 * s, interactive: false});
    },
    sitePoint: function (feature, latlng, context) {
      const [v, s, h] = val(context, feature);
      const share = typeof v.r === "number" ? v.r : 0;
      return L.circleMarker(latlng, {pane: h.pane, radius: (10 + 26 * Math.sqrt(share)) * s, fillColor: v.c || NO_DATA,
        fillOpacity: 0.55, color: v.c || NO_DATA, weight: 3 * s, interactive: false});
    },
    labelPoint: function (feature, latlng, context) {
      const [v, , h] = val(context, feature);
      const name = (h.names || {})[feature.id] || feature.properties.name_zh || "";
      const html = '<span class="cb-map-label-name">' + esc(name) + "</span>"
        + (v.t ? '<span class="cb-map-label-value">' + esc(v.t) + "</span>" : "");
      return L.marker(latlng, {pane: h.pane, icon: L.divIcon({className: "cb-map-label", html, iconSize: null}), interactive: false,
        keyboard: false});
    },
  };
})();
