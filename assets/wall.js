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

  /**
   * Fit the wall to the screen it is on, whatever its canvas says (issue 18: a 1920 canvas
   * on a 5760×1080 screen left two thirds black). The layout follows the screen's aspect
   * ratio — three panels side by side from 2.6:1 up ("wide"), else the single-panel
   * layout — and the design is scaled by the design unit so the root fills the window
   * exactly: its width or height in design pixels stretches to the window's shape, the
   * grid reflows into it, and text is laid out at its real size (crisp), not stretched.
   */
  function fit(config) {
    const root = document.getElementById("wall-root");
    if (!root || !config) return;
    const vw = window.innerWidth, vh = window.innerHeight;
    if (!vw || !vh) return;
    const wide = vw / vh >= 2.6;
    const html = document.documentElement;
    if (html.classList.contains("cb-wall-wide") !== wide) html.classList.toggle("cb-wall-wide", wide);
    const unit = config.unit || 1;
    const dw = (wide ? 5760 : 1920) * unit, dh = 1080 * unit;
    const s = Math.min(vw / dw, vh / dh);
    // a portrait screen (a phone, a rotated panel) would stretch the design into a tall strip:
    // it gets the 16:9 wall whole, scaled to its width and centred — what the big screen shows
    const tall = vw / vh < 1.3;
    const w = (tall ? dw : Math.round(vw / s)) + "px", h = (tall ? dh : Math.round(vh / s)) + "px";
    const scale = tall ? "translateY(" + Math.round((vh - dh * s) / 2) + "px) scale(" + s.toFixed(5) + ")"
      : Math.abs(s - 1) < 0.001 ? "" : "scale(" + s.toFixed(5) + ")";
    if (root.style.width !== w) root.style.width = w;
    if (root.style.height !== h) root.style.height = h;
    if (root.style.transform !== scale) root.style.transform = scale;
    const map = window.citybrain.map && window.citybrain.map.refit;
    if (map && root.dataset.fitted !== w + h) {
      root.dataset.fitted = w + h;
      setTimeout(map, 0);  // after the grid has reflowed to the new size
    } else if (window.citybrain.map) {
      window.citybrain.map.declutter();  // labels are redrawn when a refresh changes their values
    }
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
      const sent = Date.now();
      const r = await fetch(prefix() + "healthz", {cache: "no-store", signal: ctrl.signal});
      learnSkew(r.headers.get("Date"), sent, Date.now());
      return true; // any answer, even 503 (store trouble), means the server is there
    } catch (e) {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The server's clock minus this browser's (ms), from an answer's Date header: the running
   * clocks count from start times the server sends, so a kiosk whose own clock is off by
   * minutes would otherwise show wrong ages. The header has whole seconds: a skew under 2 s
   * is taken as none.
   */
  function learnSkew(dateHeader, sent, received) {
    const server = Date.parse(dateHeader || "");
    if (isNaN(server)) return;
    const skew = server + 500 - (sent + received) / 2;
    window.citybrain.wall.skew = Math.abs(skew) < 2000 ? 0 : skew;
  }

  /** Elapsed seconds → "0:05:12", "12:34:56", "2天 03:15" (days: hours and minutes only). */
  function elapsed(seconds, lang) {
    const s = Math.max(0, Math.floor(seconds));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    const pad = (n) => String(n).padStart(2, "0");
    if (d > 0) return d + (lang === "en" ? "d " : "天 ") + pad(h) + ":" + pad(m);
    return h + ":" + pad(m) + ":" + pad(s % 60);
  }

  /**
   * The running clocks (issue 21): every element .cb-clock whose style carries --since (epoch
   * seconds, set by a refresh) shows the time since then, counting up every second here —
   * no server round trip; past its --due it is marked late (data-late, red in the CSS).
   * The span has no children of Dash's own, so writing its text does not fight React.
   */
  function clocks(lang) {
    const root = document.getElementById("wall-root");
    if (!root) return;
    const now = (Date.now() + (window.citybrain.wall.skew || 0)) / 1000;
    root.querySelectorAll(".cb-clock").forEach((el) => {
      const since = parseFloat(el.style.getPropertyValue("--since"));
      const due = parseFloat(el.style.getPropertyValue("--due"));
      const text = isNaN(since) ? "" : elapsed(now - since, lang);
      if (el.textContent !== text) el.textContent = text;
      const late = !isNaN(since) && !isNaN(due) && now > due;
      if ((el.dataset.late === "1") !== late) {
        if (late) el.dataset.late = "1"; else delete el.dataset.late;
      }
    });
  }

  /**
   * Lists show whole rows only: a row that does not fit its list's box (a short screen, a
   * board under long league tables) is hidden rather than cut through the middle of its text.
   * Rows carry no style of Dash's (only their class), so this does not fight the refresh.
   */
  function clip() {
    document.querySelectorAll("#wall-root .cb-wall-screen.cb-active :is(.cb-rank-rows, .cb-board-rows)").forEach((list) => {
      const bottom = list.getBoundingClientRect().bottom + 1;
      let last = null;
      for (const row of list.children) {
        if (row.style.visibility) row.style.visibility = "";
        if (row.getBoundingClientRect().bottom > bottom) row.style.visibility = "hidden";
        else if (row.getClientRects().length) last = row;
      }
      // a board's "全市其他：" with none of what it announces left in view goes too
      if (last && last.classList.contains("cb-board-more")) {
        last.style.visibility = "hidden";
      }
    });
  }

  window.citybrain = Object.assign(window.citybrain || {}, {
    wall: {fit, shouldReload, softReload, reachable, clocks, clip, elapsed, learnSkew, skew: 0, reloading: false},
  });
  window.addEventListener("resize", () => {
    if (window.citybrain.wall.config) fit(window.citybrain.wall.config);
  });

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.wall = {
    /** Show the next screen: panel classes, root class (layers), title, current screen. */
    rotate: function (n, config) {
      const screens = config.screens;
      const cur = screens[(config.start + (n || 0)) % screens.length];
      const outs = window.dash_clientside.callback_context.outputs_list[0];
      const classes = outs.map((o) => (o.id.screen === cur.name ? "cb-wall-screen cb-active" : "cb-wall-screen"));
      // the root class names the map theme: restyle the district fills once it is applied
      setTimeout(() => window.citybrain.map && window.citybrain.map.retheme(), 300);
      return [classes, cur.root, cur.title, cur.name];
    },

    /** The live clock (city time), the canvas fit, the nightly soft reload. */
    tick: function (n, config) {
      const now = new Date();
      window.citybrain.wall.config = config;
      fit(config);
      clocks(config.lang);
      clip();
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

  // Leaflet maps met through their layers' style calls (dash-leaflet passes {map} in the
  // context): a wall that reflows to its screen re-fits each map to the city's bounds.
  const maps = new Set();

  function remember(context) {
    const m = context && context.map;
    const h = (context && context.hideout) || {};
    if (!m || !h.bounds || m._cbBounds) return;
    m._cbBounds = h.bounds;
    m._cbPad = h.pad || 12;
    maps.add(m);
    // the wall may have been resized to its screen before this map drew: fit it now, and
    // again when Leaflet notices its container's final size
    setTimeout(refit, 0);
    m.on("resize", () => refit());
  }

  function refit() {
    maps.forEach((m) => {
      if (!m._container || !m._container.isConnected) { maps.delete(m); return; }
      // a hidden or collapsed container (a page leaving, a card not laid out yet) has no size:
      // Leaflet's fit would compute NaN coordinates ("Invalid LatLng object: (NaN, NaN)")
      if (!m._container.clientWidth || !m._container.clientHeight) return;
      m.invalidateSize({animate: false, pan: false});
      m.fitBounds(m._cbBounds, {padding: [m._cbPad, m._cbPad], animate: false});
    });
    setTimeout(declutter, 0);
  }

  /**
   * Labels that would print over one another: keep the first (config order — the city's core
   * districts come first), hide the rest. A narrow single-panel map cannot hold six names at
   * 40 px; overlapping text helps nobody, and the ranking beside the map names every district.
   */
  function declutter() {
    maps.forEach((m) => {
      if (!m._container || !m._container.isConnected) return;
      const placed = [];
      const box = m._container.getBoundingClientRect();
      m._container.querySelectorAll(".cb-map-label-inner").forEach((el) => {
        el.style.visibility = "";
        el.style.marginLeft = el.style.marginTop = "";
        let r = el.getBoundingClientRect();
        if (!r.width) return;
        // a label past the map's edge is moved inside (screen px → the wall's CSS px)
        const k = r.width / (el.offsetWidth || r.width), edge = 4;
        const dx = Math.min(0, box.right - edge - r.right) || Math.max(0, box.left + edge - r.left);
        const dy = Math.min(0, box.bottom - edge - r.bottom) || Math.max(0, box.top + edge - r.top);
        if (dx || dy) {
          el.style.marginLeft = dx / k + "px";
          el.style.marginTop = dy / k + "px";
          r = el.getBoundingClientRect();
        }
        const hit = placed.some((p) => r.left < p.right && r.right > p.left && r.top < p.bottom && r.bottom > p.top);
        if (hit) el.style.visibility = "hidden";
        else placed.push(r);
      });
    });
  }

  /** Drill down from an office map: a district filters the page, anything else opens its detail. */
  function drill(kind, code) {
    const url = new URL(window.location.href);
    if (kind === "districts") url.searchParams.set("district", code);
    else url.searchParams.set("detail", code);
    window.history.pushState({}, "", url.pathname + url.search);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
  }

  function bind(kind) {
    return function (feature, layer, context) {
      const h = (context && context.hideout) || {};
      if (!h.clickable) return;
      const name = (h.names || {})[feature.id] || (feature.properties || {}).name_zh || feature.id;
      const v = (h.values || {})[feature.id] || {};
      layer.bindTooltip(esc(name) + (v.t ? " · " + esc(v.t) : ""), {sticky: true});
      layer.on("click", () => drill(kind, feature.id));
    };
  }

  /** The wall's map theme (root class cb-theme-<name>): index | calls | none; pages: index. */
  function theme() {
    const root = document.getElementById("wall-root");
    const m = root && /(?:^|\s)cb-theme-(\w+)/.exec(root.className);
    return m ? m[1] : "index";
  }

  function districtStyle(feature, context) {
    remember(context);
    const [v, s] = val(context, feature);
    const th = theme();
    const fill = th === "none" ? "#2b4a78" : (th === "calls" ? v.k : v.c);
    return {fillColor: fill || NO_DATA, fillOpacity: th === "none" ? 0.55 : (fill ? 0.6 : 0.25), color: "#c5d3e3",
      weight: 2 * s, opacity: 0.9, cbDistrict: true};
  }

  /** The screen the wall shows: its active panels' id names it ("" off the wall). */
  function activeScreen() {
    const el = document.querySelector("#wall-root .cb-wall-screen.cb-active");
    try {
      return (el && JSON.parse(el.id).screen) || "";
    } catch (e) {
      return "";
    }
  }

  /**
   * The theme layer (issue 20): every theme screen's places, ids "<screen>:<code>", in their
   * level's colour; on the wall only the active screen's show. A page's theme points carry no
   * screen and always show.
   */
  function themeStyle(feature, context) {
    const [v, s, h] = val(context, feature);
    const own = (feature.properties || {}).screen;
    const on = !own || own === activeScreen();
    const area = !!feature.geometry && feature.geometry.type !== "Point";
    // the active screen's points lie over the district names (areas under them): a city's car
    // parks crowd its centre, where the names are
    const pane = on && own && context && context.map && h.pane && context.map.getPane(h.pane);
    if (pane) pane.style.zIndex = area ? 400 : 460;
    const style = {fillColor: v.c || NO_DATA, fillOpacity: on ? (area ? 0.75 : 0.95) : 0, opacity: on ? 0.9 : 0,
      color: area ? "#c5d3e3" : "#0b1220", weight: 2 * s, cbTheme: true};
    // a place at a warning level is drawn larger, so a calm neighbour cannot hide it
    if (!area && own) style.radius = (v.w ? 16 : 11) * s;
    return style;
  }

  /** Restyle the district fills and the theme layer after a rotation (the geometry stays). */
  function retheme() {
    maps.forEach((m) => m.eachLayer((l) => {
      if (!l.feature || !l.options || !l.setStyle) return;
      if (l.options.cbDistrict) l.setStyle(districtStyle(l.feature, {hideout: l.options.cbHideout}));
      else if (l.options.cbTheme) l.setStyle(themeStyle(l.feature, {hideout: l.options.cbHideout, map: m}));
    }));
  }

  window.citybrain.map = {
    refit,
    retheme,
    declutter,
    districtStyle: function (feature, context) {
      const style = districtStyle(feature, context);
      style.cbHideout = (context && context.hideout) || {};
      return style;
    },
    themeStyle: function (feature, context) {
      const style = themeStyle(feature, context);
      style.cbHideout = (context && context.hideout) || {};
      return style;
    },
    segmentStyle: function (feature, context) {
      remember(context);
      const [v, s] = val(context, feature);
      return {color: v.c || NO_DATA, weight: 7 * s, opacity: 0.95, lineCap: "round"};
    },
    districtEach: bind("districts"),
    segmentEach: bind("segments"),
    stationEach: bind("stations"),
    siteEach: bind("sites"),
    stationPoint: function (feature, latlng, context) {
      const [v, s, h] = val(context, feature);
      return L.circleMarker(latlng, {pane: h.pane, radius: (h.clickable ? 9 : 13) * s, fillColor: v.c || NO_DATA, fillOpacity: 0.95,
        color: "#0b1220", weight: 2 * s, interactive: !!h.clickable});
    },
    sitePoint: function (feature, latlng, context) {
      const [v, s, h] = val(context, feature);
      const share = typeof v.r === "number" ? v.r : 0;
      return L.circleMarker(latlng, {pane: h.pane, radius: (10 + 26 * Math.sqrt(share)) * s, fillColor: v.c || NO_DATA,
        fillOpacity: 0.55, color: v.c || NO_DATA, weight: 3 * s, interactive: !!h.clickable});
    },
    labelPoint: function (feature, latlng, context) {
      const [v, , h] = val(context, feature);
      const name = (h.names || {})[feature.id] || feature.properties.name_zh || "";
      const short = (h.short || {})[feature.id] || name;
      const html = '<div class="cb-map-label-inner"><span class="cb-map-label-name cb-ln-full">' + esc(name) + "</span>"
        + '<span class="cb-map-label-name cb-ln-short">' + esc(short) + "</span>"
        + (v.t ? '<span class="cb-map-label-value cb-lv-index">' + esc(v.t) + "</span>" : "")
        + (v.n ? '<span class="cb-map-label-value cb-lv-calls">' + esc(v.n) + "</span>" : "") + "</div>";
      return L.marker(latlng, {pane: h.pane, icon: L.divIcon({className: "cb-map-label", html, iconSize: [0, 0]}), interactive: false,
        keyboard: false});
    },
  };
})();
