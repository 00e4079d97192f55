// The bidding page (网络竞价) without reloads: polls the session's state.json with
// If-None-Match (304 while nothing changed), updates price, bid list and end, and
// counts down on the server's clock (offset measured at each answer). Without this
// script the page has a Reload button and shows the same facts.
(function () {
  "use strict";
  var box = document.getElementById("bidding-state");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-state-url");
  var etag = null;
  var offsetMs = 0; // server time minus local time
  var endsAt = null;
  var startsAt = null;
  var status = null;
  var countdown = box.querySelector("[data-field=countdown]");
  var format = box.getAttribute("data-countdown");
  var note = box.querySelector("[data-field=live-note]");
  if (note) { note.hidden = false; }

  function field(name) { return box.querySelector("[data-field=" + name + "]"); }
  function setText(name, text) { var el = field(name); if (el && text != null) { el.textContent = text; } }

  function syncClock(serverIso) {
    var t = Date.parse(serverIso);
    if (!isNaN(t)) { offsetMs = t - Date.now(); }
  }
  syncClock(countdown.getAttribute("data-server-time"));
  endsAt = Date.parse(field("ends_at").getAttribute("data-value"));

  function tick() {
    var now = Date.now() + offsetMs;
    var left = endsAt - now;
    if (startsAt && now < startsAt) { left = startsAt - now; }
    if (left <= 0 || (status && status !== "open" && status !== "announced")) {
      countdown.textContent = box.getAttribute("data-ended");
      return;
    }
    var s = Math.floor(left / 1000);
    var text = format.replace("{d}", Math.floor(s / 86400)).replace("{h}", Math.floor(s % 86400 / 3600))
      .replace("{m}", Math.floor(s % 3600 / 60)).replace("{s}", s % 60);
    if (startsAt && now < startsAt) { text = box.getAttribute("data-starts-in") + " " + text; }
    countdown.textContent = text;
  }

  function renderBids(bids) {
    var list = document.getElementById("bids");
    if (!list) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    bids.forEach(function (b) {
      if (b.kind !== "bid") { return; }
      var li = document.createElement("li");
      li.setAttribute("data-seq", b.seq);
      var code = document.createElement("strong");
      code.textContent = b.bidder_code;
      li.appendChild(code);
      li.appendChild(document.createTextNode(" " + b.amount_text + " · " + b.at_text));
      list.appendChild(li);
    });
    var empty = document.querySelector("[data-field=no-bids]");
    if (empty && bids.some(function (b) { return b.kind === "bid"; })) { empty.hidden = true; }
  }

  function apply(state) {
    syncClock(state.server_time);
    endsAt = Date.parse(state.ends_at);
    startsAt = Date.parse(state.starts_at);
    var previous = status;
    status = state.status;
    setText("status_label", state.status_label);
    if (state.current_price_text) { setText("current_price", state.current_price_text); }
    setText("min_next_bid", state.min_next_bid_text);
    setText("bids_count", String(state.bids_count));
    setText("ends_at", state.ends_at_text);
    setText("server_time", state.server_time_text);
    renderBids(state.bids || []);
    var amount = document.querySelector("#bid-form input[name=amount_fen]");
    if (amount && document.activeElement !== amount) { amount.value = (state.min_next_bid_fen / 100).toFixed(2); }
    // The session opened or ended while the page was open: the forms change, load the page once.
    if (previous && previous !== status) { window.location.reload(); }
  }

  function poll() {
    var headers = {"Accept": "application/json"};
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(url, {headers: headers, credentials: "same-origin", cache: "no-cache"}).then(function (r) {
      var server = r.headers.get("X-Server-Time");
      if (server) { syncClock(server); }
      if (r.status === 304) { return null; }
      if (!r.ok) { return null; }
      etag = r.headers.get("ETag");
      return r.json();
    }).then(function (state) {
      if (state) { apply(state); }
    }).catch(function () { /* the next poll tries again */ }).then(function () {
      window.setTimeout(poll, document.hidden ? 10000 : 2000);
    });
  }

  tick();
  window.setInterval(tick, 1000);
  poll();
}());
